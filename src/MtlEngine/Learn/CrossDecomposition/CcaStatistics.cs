using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>
/// The sufficient statistics of a <see cref="Cca"/> fit, mergeable (see <see cref="IFitStatistics{TSelf}"/>): n, the means
/// and the centred scatter of the joined rows [x y] ((p + q)² numbers). <see cref="Fit"/> runs the one-shot fit's NIPALS in
/// covariance form: every quantity of the row algorithm is a product with X_k or Y_k that only meets them as
/// A = X_kᵀX_k, B = Y_kᵀY_k and C = X_kᵀY_k, with the score vectors carried as coefficients (ω = Y_k·c):
/// <code>
/// u = X_k⁺·ω = A⁺·C·c,  u /= ‖u‖          v = Y_k⁺·ξ = B⁺·Cᵀ·u,  v /= ‖v‖          c = v / vᵀv
/// γ = X_kᵀξ/ξᵀξ = A·u / uᵀAu              δ = B·v / vᵀBv
/// deflation X_{k+1} = X_k·(I − u·γᵀ):  A ← PᵀAP,  B ← QᵀBQ,  C ← PᵀCQ       (P = I − u·γᵀ, Q = I − v·δᵀ)
/// </code>
/// (X⁺·Y = (XᵀX)⁺·XᵀY). The pseudo-inverses drop eigenvalues below 10⁶·ε·λ_max of A and B — the squares of the singular
/// values, so the row fit's cutoff 10⁶·ε·σ_max would keep the rounding noise a deflated scatter carries in its null space;
/// directions with σ between 10⁶·ε and 10³·√ε of σ_max (nearly collinear columns) are therefore treated as null here and
/// not in the row fit. The canonical correlations of the training scores come from the scatter too:
/// corr(X·r_x, Y·r_y) = r_xᵀ·C₀·r_y / √(r_xᵀA₀r_x · r_yᵀB₀r_y).
/// </summary>
public sealed class CcaStatistics : CenteredMomentStatistics<CcaStatistics>, IFitStatistics<CcaStatistics>
{
    /// <summary>The kind in the binary format.</summary>
    public const string Kind = "cca";

    /// <summary>Empty statistics for views of <paramref name="xColumns"/> (p) and <paramref name="yColumns"/> (q) columns.</summary>
    /// <param name="xColumns">p ≥ 1.</param>
    /// <param name="yColumns">q ≥ 1.</param>
    /// <param name="vectorY">True when Y is 1-D (q must be 1).</param>
    /// <param name="parallelism">The initial <see cref="Parallelism"/>: threads for the SYRK of each added block; null: all cores.</param>
    /// <exception cref="LearnInputException">When p or q is below 1, or a 1-D Y has q ≠ 1.</exception>
    public CcaStatistics(int xColumns, int yColumns, bool vectorY = false, Parallelism? parallelism = null)
        : this(xColumns, yColumns, vectorY, new CenteredMoments(Columns(xColumns, yColumns, vectorY)), parallelism)
    {
    }

    private CcaStatistics(int p, int q, bool vectorY, CenteredMoments moments, Parallelism? parallelism = null)
        : base(p, q, moments, parallelism)
    {
        VectorY = vectorY;
    }

    /// <summary>p + q, the columns of the joined rows, after checking the shape.</summary>
    private static int Columns(int xColumns, int yColumns, bool vectorY)
    {
        if (xColumns < 1 || yColumns < 1 || (vectorY && yColumns != 1))
            throw new LearnInputException($"CCA statistics need views of at least one column (a 1-D Y is one column), but got p = {xColumns}, q = {yColumns}{(vectorY ? " with a 1-D Y" : "")}.");
        return xColumns + yColumns;
    }

    /// <summary>Statistics of X (n, p) and Y (n, q) or (n,).</summary>
    public static CcaStatistics From(MtlTensor<double> x, MtlTensor<double> y, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var (_, p, _) = LearnInput.Matrix(x, "X");
        var statistics = new CcaStatistics(p, y.Rank == 2 ? y.Dim(1) : 1, y.Rank == 1, parallelism);
        statistics.Add(x, y);
        return statistics;
    }

    /// <summary>True when Y is 1-D.</summary>
    public bool VectorY { get; }

    private protected override string Estimator => "CCA";

    /// <summary>Adds rows of X (n, p) and Y (n, q) or (n,).</summary>
    /// <exception cref="LearnInputException">When the shapes disagree or a value is not finite.</exception>
    public void Add(MtlTensor<double> x, MtlTensor<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rank != 2 || y.Rank is not (1 or 2) || y.Dim(0) != x.Dim(0))
            throw new LearnInputException($"X must be (n, {Features}) and Y (n, {Targets}) with the same n, but they have shapes {MtlTensor<double>.ShapeText(x.Shape)} and {MtlTensor<double>.ShapeText(y.Shape)}.");
        Add(LearnInput.ElementSpan(x), LearnInput.ElementSpan(y), []);
    }

    private protected override void CheckMergeable(CcaStatistics other)
    {
        if (other.Features != Features || other.Targets != Targets || other.VectorY != VectorY)
            throw new LearnInputException($"Cannot merge CCA statistics of views ({other.Features}, {other.Targets}) into ones of views ({Features}, {Targets}).");
    }

    /// <inheritdoc/>
    public CcaStatistics Copy() => new(Features, Targets, VectorY, Moments.Copy()) { Parallelism = Parallelism };

    /// <summary>The CCA model of the rows added so far (NIPALS in covariance form; see the class summary).</summary>
    /// <exception cref="LearnInputException">When no rows were added or k exceeds min(n, p, q).</exception>
    public CcaModel Fit(Cca options)
    {
        ArgumentNullException.ThrowIfNull(options);
        StatisticsInput.HasWeight(Rows, WeightSum, "CCA");
        int p = Features, q = Targets;
        long n = Rows;
        long bound = Math.Min(n, Math.Min(p, q));
        if (options.Components < 1 || options.Components > bound)
            throw new LearnInputException($"Components = {options.Components} must be between 1 and min(n_samples, p, q) = {bound} for views of {p} and {q} columns and {n} samples.");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxIterations, 1);

        Usable(0, p, "X");
        Usable(p, q, "Y");
        // Standardize: s_j = √(M_jj/(n − 1)) (1 for a constant column), the scatter of the standardized [X Y] is M_ij/(s_i·s_j).
        int w = p + q;
        var std = new double[w];
        for (int j = 0; j < w; j++)
        {
            double s = options.Scale ? Math.Sqrt(Moments.Scatter[j * w + j] / Math.Max(n - 1, 1)) : 1;
            std[j] = s == 0 ? 1 : s;
        }
        var full = Moments.Block(0, w, 0, w);
        for (int i = 0; i < w; i++)
            for (int j = 0; j < w; j++) full[i, j] /= std[i] * std[j];
        var a = Sub(full, 0, p, 0, p);
        var b = Sub(full, p, q, p, q);
        var c = Sub(full, 0, p, p, q);
        var (a0, b0, c0) = (a.Clone(), b.Clone(), c.Clone());

        int k = options.Components;
        var xWeights = new DenseMatrix(p, k);
        var yWeights = new DenseMatrix(q, k);
        var xLoadings = new DenseMatrix(p, k);
        var yLoadings = new DenseMatrix(q, k);
        var iterations = new List<int>();
        bool converged = true;
        string? stopped = null;
        double eps = MachineEpsilon.Double;
        for (int component = 0; component < k; component++)
        {
            // Columns of Y_k that deflation has emptied (Σ y² below n·(10ε)²) are set to exactly zero.
            for (int j = 0; j < q; j++)
                if (b[j, j] < n * 100 * eps * eps)
                {
                    for (int i = 0; i < q; i++) b[i, j] = b[j, i] = 0;
                    for (int i = 0; i < p; i++) c[i, j] = 0;
                }
            int first = Enumerable.Range(0, q).FirstOrDefault(j => b[j, j] > 0, -1);
            if (first < 0)
            {
                stopped = $"Y residual is constant at component {component}; {component} pairs were found.";
                break;
            }
            var aPinv = PseudoInverse(a);
            var bPinv = PseudoInverse(b);
            var coefficients = new double[q];   // ω = Y_k·coefficients
            coefficients[first] = 1;
            double[]? previous = null;
            double[] u = [], v = [];
            int it;
            for (it = 0; it < options.MaxIterations; it++)
            {
                u = MatVec(aPinv, MatVec(c, coefficients));
                Dense.Scale(1 / (Dense.Norm2(u) + eps), u);
                v = MatVec(bPinv, MatVecTransposed(c, u));
                Dense.Scale(1 / (Dense.Norm2(v) + eps), v);
                coefficients = [.. v];
                Dense.Scale(1 / (Dense.Dot(v, v) + eps), coefficients);
                double change = 0;
                for (int i = 0; i < p; i++)
                {
                    double diff = u[i] - (previous?[i] ?? 100);
                    change += diff * diff;
                }
                if (change < options.Tolerance || q == 1) break;
                previous = u;
            }
            int used = Math.Min(it + 1, options.MaxIterations);
            iterations.Add(used);
            converged &= used < options.MaxIterations || q == 1;
            Cca.FlipSigns(u, v);
            // γ = A·u/(uᵀAu), δ = B·v/(vᵀBv); deflate A, B, C
            var au = MatVec(a, u);
            var bv = MatVec(b, v);
            // ξᵀξ = uᵀAu and ωᵀω = vᵀBv: a score of zero (a view whose residual has no variance left along the pair) or one that
            // is not finite has no loadings (they divide by it): stop with a clear error instead of propagating NaN into the model.
            double xss = Dense.Dot(u, au), yss = Dense.Dot(v, bv);
            if (!(xss > 0) || !(yss > 0) || !double.IsFinite(xss) || !double.IsFinite(yss))
                throw new LearnInputException(
                    $"CCA found no variation left to pair at component {component + 1} of {k} (the X or Y scores are {(double.IsFinite(xss) && double.IsFinite(yss) ? "zero" : "not finite")}); "
                    + "X or Y is constant or nearly so in the remaining directions, or its values are too extreme; ask for fewer components or rescale the data.");
            var gamma = au.Select(x => x / xss).ToArray();
            var delta = bv.Select(x => x / yss).ToArray();
            var pm = Projector(u, gamma);
            var qm = Projector(v, delta);
            a = Sandwich(pm, a, pm);
            b = Sandwich(qm, b, qm);
            c = Sandwich(pm, c, qm);
            for (int i = 0; i < p; i++) { xWeights[i, component] = u[i]; xLoadings[i, component] = gamma[i]; }
            for (int i = 0; i < q; i++) { yWeights[i, component] = v[i]; yLoadings[i, component] = delta[i]; }
        }
        var xRotations = DenseMatrix.Multiply(xWeights, Cca.PseudoInverse(DenseMatrix.Multiply(xLoadings, xWeights, MatrixOp.Transpose, MatrixOp.None), null));
        var yRotations = DenseMatrix.Multiply(yWeights, Cca.PseudoInverse(DenseMatrix.Multiply(yLoadings, yWeights, MatrixOp.Transpose, MatrixOp.None), null));
        var mean = Moments.Mean;
        var model = new CcaModel(options, mean[..p], std[..p], mean[p..], std[p..], xWeights, yWeights, xLoadings, yLoadings, xRotations, yRotations,
            new CcaFitReport([.. iterations], converged, stopped), VectorY);
        var correlations = new double[k];
        for (int j = 0; j < k; j++)
        {
            var rx = Enumerable.Range(0, p).Select(i => xRotations[i, j]).ToArray();
            var ry = Enumerable.Range(0, q).Select(i => yRotations[i, j]).ToArray();
            double sxy = Dense.Dot(rx, MatVec(c0, ry)), sxx = Dense.Dot(rx, MatVec(a0, rx)), syy = Dense.Dot(ry, MatVec(b0, ry));
            correlations[j] = sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
        }
        model.SetCorrelations(correlations);
        return model;
    }

    /// <summary>
    /// Refuses a view CCA cannot pair: one whose mean or scatter overflowed (values near ±1e308), or one with no variation at
    /// all (every column constant: a zero diagonal of its scatter block).
    /// </summary>
    private void Usable(int first, int count, string name)
    {
        int w = Features + Targets;
        var mean = Moments.Mean;
        var scatter = Moments.Scatter;
        bool finite = true, constant = true;
        for (int i = first; i < first + count; i++)
        {
            finite &= double.IsFinite(mean[i]);
            constant &= scatter[i * w + i] == 0;
            for (int j = first; j <= i; j++) finite &= double.IsFinite(scatter[i * w + j]);
        }
        if (!finite)
            throw new LearnInputException($"{name}'s values are too large for CCA (their sums or squares overflow); divide {name} by a constant first.");
        if (constant)
            throw new LearnInputException($"{name} is constant (every column holds one value), so it has no direction to correlate; CCA needs variation in both views.");
    }

    private static DenseMatrix Sub(DenseMatrix m, int r0, int rows, int c0, int cols)
    {
        var result = new DenseMatrix(rows, cols);
        for (int i = 0; i < rows; i++) m.Data.AsSpan((r0 + i) * m.Columns + c0, cols).CopyTo(result.Row(i));
        return result;
    }

    // S⁺ for a symmetric positive semi-definite S: Σ over λ > 10⁶·ε·λ_max of q·qᵀ/λ.
    private static DenseMatrix PseudoInverse(DenseMatrix s)
    {
        var eigen = SymmetricEigen.Compute(s, computeVectors: true);
        var values = eigen.Values;
        var vectors = eigen.Vectors!;
        double cutoff = 1e6 * MachineEpsilon.Double * Math.Max(values.Length == 0 ? 0 : values[^1], 0);
        int order = s.Rows;
        var scaled = new DenseMatrix(order, order);
        for (int i = 0; i < order; i++)
            for (int j = 0; j < order; j++) scaled[i, j] = values[j] > cutoff ? vectors[i, j] / values[j] : 0;
        return DenseMatrix.Multiply(scaled, vectors, MatrixOp.None, MatrixOp.Transpose);
    }

    // P = I − u·gᵀ
    private static DenseMatrix Projector(double[] u, double[] g)
    {
        var m = DenseMatrix.Identity(u.Length);
        for (int i = 0; i < u.Length; i++)
            for (int j = 0; j < u.Length; j++) m[i, j] -= u[i] * g[j];
        return m;
    }

    // Lᵀ·M·R
    private static DenseMatrix Sandwich(DenseMatrix left, DenseMatrix middle, DenseMatrix right) =>
        DenseMatrix.Multiply(DenseMatrix.Multiply(left, middle, MatrixOp.Transpose, MatrixOp.None), right);

    private static double[] MatVec(DenseMatrix m, ReadOnlySpan<double> v)
    {
        var result = new double[m.Rows];
        for (int i = 0; i < m.Rows; i++) result[i] = Dense.Dot(m.Row(i), v);
        return result;
    }

    private static double[] MatVecTransposed(DenseMatrix m, ReadOnlySpan<double> v)
    {
        var result = new double[m.Columns];
        for (int i = 0; i < m.Rows; i++) Dense.Axpy(v[i], m.Row(i), result);
        return result;
    }

    /// <inheritdoc/>
    public void Save(Stream stream) => FitStatisticsFormat.Write(stream, Kind, writer =>
    {
        writer.Write(Features);
        writer.Write(Targets);
        writer.Write(VectorY);
        Moments.Write(writer);
    });

    /// <inheritdoc/>
    public static CcaStatistics Load(Stream stream) => FitStatisticsFormat.Read(stream, Kind, reader =>
    {
        int p = reader.Count("the X column count", 1 << 16);
        int q = reader.Count("the Y column count", 1 << 16);
        bool vector = reader.Flag("the 1-D Y flag");
        if (p < 1 || q < 1 || (vector && q != 1))
            throw new Data.DataFormatException(reader.Source, $"views of {p} and {q} columns{(vector ? " with a 1-D Y" : "")} are not a CCA shape");
        return new CcaStatistics(p, q, vector, CenteredMoments.Read(reader, p + q));
    });
}
