namespace MtlEngine.Learn.Optimization;

/// <summary>
/// The Moré–Thuente line search (MINPACK-2's <c>dcsrch</c> and <c>dcstep</c>; J. J. Moré and D. J. Thuente, "Line search
/// algorithms with guaranteed sufficient decrease", ACM TOMS 20, 1994), the search inside L-BFGS-B and SciPy's
/// <c>line_search_wolfe1</c>. Along φ(α) = f(x + α·d) it finds a step that satisfies the strong Wolfe conditions
/// <code>
/// φ(α) ≤ φ(0) + ftol·α·φ'(0)          (sufficient decrease)
/// |φ'(α)| ≤ gtol·|φ'(0)|               (curvature)
/// </code>
/// by safeguarded cubic and quadratic interpolation inside an interval of uncertainty [stx, sty] that shrinks each step.
/// </summary>
internal static class MoreThuente
{
    private const double XTrapLower = 1.1, XTrapUpper = 4.0;

    /// <summary>How a search ended.</summary>
    public enum Status
    {
        /// <summary>Both Wolfe conditions hold.</summary>
        Converged,
        /// <summary>A MINPACK-2 warning ended it (rounding errors, xtol, stpmax, stpmin): the step is usable but not Wolfe.</summary>
        Warning,
        /// <summary>The evaluation budget ran out first.</summary>
        TooManyEvaluations,
    }

    /// <summary>The outcome: the last step tried, φ and φ' there, the evaluations spent and why it stopped.</summary>
    public readonly record struct Result(double Step, double Value, double Slope, int Evaluations, Status Status, string Message);

    /// <summary>
    /// Searches from <paramref name="step"/>; <paramref name="phi"/> evaluates (φ(α), φ'(α)) and leaves the point and
    /// gradient of its last call where the caller keeps them. φ'(0) = <paramref name="slope0"/> must be negative.
    /// </summary>
    public static Result Search(Func<double, (double Value, double Slope)> phi, double value0, double slope0, double step,
        double ftol, double gtol, double xtol, double stepMin, double stepMax, int maxEvaluations)
    {
        // dcsrch, task = 'START'
        bool bracketed = false;
        int stage = 1;
        double finit = value0, ginit = slope0, gtest = ftol * ginit;
        double width = stepMax - stepMin, width1 = width / 0.5;
        double stx = 0, fx = finit, gx = ginit;
        double sty = 0, fy = finit, gy = ginit;
        double stmin = 0, stmax = step + XTrapUpper * step;
        int evaluations = 0;
        while (true)
        {
            if (evaluations >= maxEvaluations)
                return new Result(step, double.NaN, double.NaN, evaluations, Status.TooManyEvaluations, "line search: too many evaluations");
            var (f, g) = phi(step);
            evaluations++;

            double ftest = finit + step * gtest;
            if (stage == 1 && f <= ftest && g >= 0) stage = 2;

            string? warning = null;
            if (bracketed && (step <= stmin || step >= stmax)) warning = "WARNING: ROUNDING ERRORS PREVENT PROGRESS";
            if (bracketed && stmax - stmin <= xtol * stmax) warning = "WARNING: XTOL TEST SATISFIED";
            if (step == stepMax && f <= ftest && g <= gtest) warning = "WARNING: STP = STPMAX";
            if (step == stepMin && (f > ftest || g >= gtest)) warning = "WARNING: STP = STPMIN";
            if (f <= ftest && Math.Abs(g) <= gtol * -ginit)
                return new Result(step, f, g, evaluations, Status.Converged, "CONVERGENCE");
            if (warning is not null)
                return new Result(step, f, g, evaluations, Status.Warning, warning);

            // In stage 1 a lower function value without sufficient decrease: step on the modified function
            // ψ(α) = φ(α) − φ(0) − ftol·α·φ'(0).
            if (stage == 1 && f <= fx && f > ftest)
            {
                double fm = f - step * gtest, fxm = fx - stx * gtest, fym = fy - sty * gtest;
                double gm = g - gtest, gxm = gx - gtest, gym = gy - gtest;
                Step(ref stx, ref fxm, ref gxm, ref sty, ref fym, ref gym, ref step, fm, gm, ref bracketed, stmin, stmax);
                fx = fxm + stx * gtest;
                fy = fym + sty * gtest;
                gx = gxm + gtest;
                gy = gym + gtest;
            }
            else
            {
                Step(ref stx, ref fx, ref gx, ref sty, ref fy, ref gy, ref step, f, g, ref bracketed, stmin, stmax);
            }

            // Force a sufficient decrease of the interval's width.
            if (bracketed)
            {
                if (Math.Abs(sty - stx) >= 0.66 * width1) step = stx + 0.5 * (sty - stx);
                width1 = width;
                width = Math.Abs(sty - stx);
            }
            if (bracketed)
            {
                stmin = Math.Min(stx, sty);
                stmax = Math.Max(stx, sty);
            }
            else
            {
                stmin = step + XTrapLower * (step - stx);
                stmax = step + XTrapUpper * (step - stx);
            }
            step = Math.Min(Math.Max(step, stepMin), stepMax);
            // No further progress possible: take the best step so far.
            if ((bracketed && (step <= stmin || step >= stmax)) || (bracketed && stmax - stmin <= xtol * stmax)) step = stx;
        }
    }

    /// <summary>
    /// dcstep: one safeguarded step. [stx, sty] holds the best step (lowest φ) and the other end of the interval;
    /// stp is the current trial with value fp and slope dp. Chooses the next trial by cubic/quadratic (secant) interpolation
    /// and updates the interval.
    /// </summary>
    private static void Step(ref double stx, ref double fx, ref double dx, ref double sty, ref double fy, ref double dy,
        ref double stp, double fp, double dp, ref bool bracketed, double stpmin, double stpmax)
    {
        double sgnd = dp * (dx / Math.Abs(dx));
        double stpf;
        if (fp > fx)
        {
            // Case 1: higher value. The minimum is bracketed; take the cubic step if it is closer to stx, else the average.
            double theta = 3 * (fx - fp) / (stp - stx) + dx + dp;
            double s = Max3(Math.Abs(theta), Math.Abs(dx), Math.Abs(dp));
            double gamma = s * Math.Sqrt((theta / s) * (theta / s) - (dx / s) * (dp / s));
            if (stp < stx) gamma = -gamma;
            double p = (gamma - dx) + theta, q = ((gamma - dx) + gamma) + dp, r = p / q;
            double stpc = stx + r * (stp - stx);
            double stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2) * (stp - stx);
            stpf = Math.Abs(stpc - stx) < Math.Abs(stpq - stx) ? stpc : stpc + (stpq - stpc) / 2;
            bracketed = true;
        }
        else if (sgnd < 0)
        {
            // Case 2: lower value, slopes of opposite sign. Bracketed; the cubic or the secant step, whichever is farther.
            double theta = 3 * (fx - fp) / (stp - stx) + dx + dp;
            double s = Max3(Math.Abs(theta), Math.Abs(dx), Math.Abs(dp));
            double gamma = s * Math.Sqrt((theta / s) * (theta / s) - (dx / s) * (dp / s));
            if (stp > stx) gamma = -gamma;
            double p = (gamma - dp) + theta, q = ((gamma - dp) + gamma) + dx, r = p / q;
            double stpc = stp + r * (stx - stp);
            double stpq = stp + (dp / (dp - dx)) * (stx - stp);
            stpf = Math.Abs(stpc - stp) > Math.Abs(stpq - stp) ? stpc : stpq;
            bracketed = true;
        }
        else if (Math.Abs(dp) < Math.Abs(dx))
        {
            // Case 3: lower value, same slope sign, slope magnitude decreases. The cubic step only if it goes the right
            // way and the cubic tends to infinity in that direction; else the secant step; safeguarded.
            double theta = 3 * (fx - fp) / (stp - stx) + dx + dp;
            double s = Max3(Math.Abs(theta), Math.Abs(dx), Math.Abs(dp));
            double gamma = s * Math.Sqrt(Math.Max(0, (theta / s) * (theta / s) - (dx / s) * (dp / s)));
            if (stp > stx) gamma = -gamma;
            double p = (gamma - dp) + theta, q = (gamma + (dx - dp)) + gamma, r = p / q;
            double stpc = r < 0 && gamma != 0 ? stp + r * (stx - stp) : stp > stx ? stpmax : stpmin;
            double stpq = stp + (dp / (dp - dx)) * (stx - stp);
            if (bracketed)
            {
                stpf = Math.Abs(stpc - stp) < Math.Abs(stpq - stp) ? stpc : stpq;
                stpf = stp > stx ? Math.Min(stp + 0.66 * (sty - stp), stpf) : Math.Max(stp + 0.66 * (sty - stp), stpf);
            }
            else
            {
                stpf = Math.Abs(stpc - stp) > Math.Abs(stpq - stp) ? stpc : stpq;
                stpf = Math.Max(stpmin, Math.Min(stpmax, stpf));
            }
        }
        else
        {
            // Case 4: lower value, same slope sign, slope magnitude does not decrease: the cubic towards sty if bracketed,
            // else the interval's end.
            if (bracketed)
            {
                double theta = 3 * (fp - fy) / (sty - stp) + dy + dp;
                double s = Max3(Math.Abs(theta), Math.Abs(dy), Math.Abs(dp));
                double gamma = s * Math.Sqrt((theta / s) * (theta / s) - (dy / s) * (dp / s));
                if (stp > sty) gamma = -gamma;
                double p = (gamma - dp) + theta, q = ((gamma - dp) + gamma) + dy, r = p / q;
                stpf = stp + r * (sty - stp);
            }
            else
            {
                stpf = stp > stx ? stpmax : stpmin;
            }
        }

        // Update the interval of uncertainty.
        if (fp > fx)
        {
            sty = stp;
            fy = fp;
            dy = dp;
        }
        else
        {
            if (sgnd < 0)
            {
                sty = stx;
                fy = fx;
                dy = dx;
            }
            stx = stp;
            fx = fp;
            dx = dp;
        }
        stp = stpf;
    }

    private static double Max3(double a, double b, double c) => Math.Max(a, Math.Max(b, c));
}
