namespace MtlEngine.Learn.Text;

/// <summary>
/// NumPy 1.24's default <c>np.argsort</c> (kind="quicksort": introsort — median-of-3 quicksort, insertion sort for 16 or fewer
/// elements, heapsort past the depth limit), ported line by line from numpy/core/src/npysort/quicksort.cpp and
/// heapsort.cpp. It is not stable, so which of several equal keys comes first is decided by these exact steps; scikit-learn
/// uses it to choose the <c>max_features</c> most frequent terms, and ties at the cut are settled the same way here.
/// </summary>
internal static class NumpyArgsort
{
    private const int SmallQuicksort = 15; // partitions of more than 16 elements are split (measured against np.argsort)

    /// <summary>The permutation that sorts <paramref name="v"/> ascending, as <c>np.argsort(v)</c>.</summary>
    public static int[] Argsort(ReadOnlySpan<double> v)
    {
        var tosort = new int[v.Length];
        for (int i = 0; i < tosort.Length; i++) tosort[i] = i;
        if (v.Length > 1) Quicksort(v, tosort);
        return tosort;
    }

    private static void Quicksort(ReadOnlySpan<double> v, int[] a)
    {
        int num = a.Length;
        int pl = 0, pr = num - 1;
        var stack = new int[128];
        var depth = new int[64];
        int sptr = 0, psdepth = 0;
        int cdepth = Msb(num) * 2;
        for (;;)
        {
            if (cdepth < 0)
            {
                Heapsort(v, a, pl, pr - pl + 1);
                goto stackPop;
            }
            while (pr - pl > SmallQuicksort)
            {
                int pm = pl + ((pr - pl) >> 1);
                if (v[a[pm]] < v[a[pl]]) Swap(a, pm, pl);
                if (v[a[pr]] < v[a[pm]]) Swap(a, pr, pm);
                if (v[a[pm]] < v[a[pl]]) Swap(a, pm, pl);
                double vp = v[a[pm]];
                int pi = pl, pj = pr - 1;
                Swap(a, pm, pj);
                for (;;)
                {
                    do ++pi; while (v[a[pi]] < vp);
                    do --pj; while (vp < v[a[pj]]);
                    if (pi >= pj) break;
                    Swap(a, pi, pj);
                }
                Swap(a, pi, pr - 1);
                // Push the larger partition on the stack.
                if (pi - pl < pr - pi)
                {
                    stack[sptr++] = pi + 1;
                    stack[sptr++] = pr;
                    pr = pi - 1;
                }
                else
                {
                    stack[sptr++] = pl;
                    stack[sptr++] = pi - 1;
                    pl = pi + 1;
                }
                depth[psdepth++] = --cdepth;
            }
            // Insertion sort.
            for (int pi = pl + 1; pi <= pr; ++pi)
            {
                int vi = a[pi];
                double vv = v[vi];
                int pj = pi, pk = pi - 1;
                while (pj > pl && vv < v[a[pk]]) a[pj--] = a[pk--];
                a[pj] = vi;
            }
        stackPop:
            if (sptr == 0) break;
            pr = stack[--sptr];
            pl = stack[--sptr];
            cdepth = depth[--psdepth];
        }
    }

    // aheapsort_ on a[offset .. offset + n), 1-based heap indexing: build the heap, then move its top to the end n − 1 times.
    internal static void Heapsort(ReadOnlySpan<double> v, int[] tosort, int offset, int n)
    {
        // Heap index k (1-based) is tosort[offset - 1 + k].
        for (int l = n >> 1; l > 0; --l) SiftDown(v, tosort, offset - 1, l, n, tosort[offset - 1 + l]);
        for (; n > 1;)
        {
            int tmp = tosort[offset - 1 + n];
            tosort[offset - 1 + n] = tosort[offset];
            n -= 1;
            SiftDown(v, tosort, offset - 1, 1, n, tmp);
        }
    }

    // aheapsort_'s inner loop: tmp goes down from heap index i of the heap h[1 .. n] (h[k] = tosort[origin + k]), each
    // larger child moving up, until no child is larger.
    private static void SiftDown(ReadOnlySpan<double> v, int[] tosort, int origin, int i, int n, int tmp)
    {
        for (int j = i << 1; j <= n;)
        {
            if (j < n && v[tosort[origin + j]] < v[tosort[origin + j + 1]]) j += 1;
            if (v[tmp] < v[tosort[origin + j]])
            {
                tosort[origin + i] = tosort[origin + j];
                i = j;
                j += j;
            }
            else break;
        }
        tosort[origin + i] = tmp;
    }

    private static void Swap(int[] a, int i, int j) => (a[i], a[j]) = (a[j], a[i]);

    private static int Msb(int n)
    {
        int depth = 0;
        while ((n >>= 1) != 0) depth++;
        return depth;
    }
}
