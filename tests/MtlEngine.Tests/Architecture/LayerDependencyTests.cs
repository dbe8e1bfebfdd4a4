using System.Reflection;
using System.Reflection.Emit;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Tensors;
using Xunit.Abstractions;

namespace MtlEngine.Tests.Architecture;

/// <summary>
/// The layers point down: kernels ← linear algebra ← tensors/autograd ← nn ← multi-task / multi-modal, and the
/// classical estimators (Learn) sit on the public linear-algebra API. Every type of the engine and kernel assemblies
/// is read: its signatures (base type, interfaces, fields, properties, parameters, locals) and the IL of every method
/// body (each call, field access, type token), so a reference that only appears inside a body counts too. A reference
/// from a type to a type of a higher layer is a violation, and so is a Learn type calling a kernel's computation
/// (GEMM, SYRK, GEMV, ...) instead of the linear-algebra API; the kernels' data types (MatrixSpan, MatrixOp) are fine.
/// <see cref="KnownViolations"/> lists the ones not yet fixed, each with its reason: the test fails on a new one and on
/// an entry that no longer occurs, so the list can only shrink.
/// </summary>
public sealed class LayerDependencyTests(ITestOutputHelper output)
{
    /// <summary>The layer of a namespace: a type may use its own layer and those below.</summary>
    private static int? Layer(string? ns) => ns switch
    {
        null => null,
        "MtlEngine" => 0,                                     // Parallelism, TensorParallelism, ParallelThresholds: the foundation
        _ when ns.StartsWith("MtlEngine.Kernels", StringComparison.Ordinal) => 0,
        _ when ns.StartsWith("MtlEngine.LinearAlgebra", StringComparison.Ordinal) => 1,
        _ when ns.StartsWith("MtlEngine.Learn.Optimization", StringComparison.Ordinal) => 1, // float64 optimizers over vectors (L-BFGS, Newton-CG)
        _ when ns.StartsWith("MtlEngine.Tensors", StringComparison.Ordinal) => 2,
        _ when ns.StartsWith("MtlEngine.Autograd", StringComparison.Ordinal) => 2,
        _ when ns.StartsWith("MtlEngine.Data", StringComparison.Ordinal) => 2,      // array files of tensors
        _ when ns.StartsWith("MtlEngine.Metrics", StringComparison.Ordinal) => 2,   // metrics of tensors
        _ when ns.StartsWith("MtlEngine.Learn", StringComparison.Ordinal) => 2,     // estimators: on linear algebra and tensors
        _ when ns.StartsWith("MtlEngine.Nn", StringComparison.Ordinal) => 3,
        _ when ns.StartsWith("MtlEngine.Explain", StringComparison.Ordinal) => 3,
        _ when ns.StartsWith("MtlEngine.MultiTask", StringComparison.Ordinal) => 4,
        _ when ns.StartsWith("MtlEngine.MultiModal", StringComparison.Ordinal) => 4,
        _ => null,
    };

    /// <summary>Kernel types Learn may name: data, not computation.</summary>
    private static readonly HashSet<Type> KernelDataTypes =
    [
        typeof(global::MtlEngine.Kernels.Gemm.MatrixSpan<>), typeof(global::MtlEngine.Kernels.Gemm.ReadOnlyMatrixSpan<>),
        typeof(global::MtlEngine.Kernels.Gemm.MatrixOp), typeof(global::MtlEngine.Kernels.Gemm.Triangle), typeof(global::MtlEngine.Kernels.Gemm.OtherTriangle),
    ];

    /// <summary>
    /// "source type → target namespace" pairs not yet fixed. Remove an entry when its violation is gone (the test says so).
    /// </summary>
    private static readonly Dictionary<string, string> KnownViolations = new()
    {
    };

    [Fact]
    public void NoTypeReachesUpALayer()
    {
        var assemblies = new[] { typeof(Parallelism).Assembly, typeof(MtlTensor).Assembly, typeof(GpuContext).Assembly };
        var found = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            var outer = Outermost(type);
            int? from = Layer(outer.Namespace);
            if (from is null) continue;
            bool learn = outer.Namespace!.StartsWith("MtlEngine.Learn", StringComparison.Ordinal) && from == 2;
            foreach (var target in References(type).Select(Outermost).Distinct())
            {
                int? to = Layer(target.Namespace);
                if (to is null || target == outer) continue;
                bool up = to > from;
                bool kernelCall = learn && to == 0 && target.Namespace!.StartsWith("MtlEngine.Kernels", StringComparison.Ordinal)
                    && !KernelDataTypes.Contains(target);
                if (!up && !kernelCall) continue;
                string key = $"{outer.FullName} → {target.Namespace}";
                if (!found.TryGetValue(key, out var targets)) found[key] = targets = new SortedSet<string>(StringComparer.Ordinal);
                targets.Add(target.Name);
            }
        }
        foreach (var (key, targets) in found) output.WriteLine($"{key}: {string.Join(", ", targets)}");
        var unexpected = found.Keys.Where(k => !KnownViolations.ContainsKey(k)).Select(k => $"{k} ({string.Join(", ", found[k])})").ToList();
        var stale = KnownViolations.Keys.Where(k => !found.ContainsKey(k)).ToList();
        Assert.True(unexpected.Count == 0, "Types that reach up a layer (fix them, or list them in KnownViolations with the reason):\n" + string.Join("\n", unexpected));
        Assert.True(stale.Count == 0, "KnownViolations entries that no longer occur (remove them):\n" + string.Join("\n", stale));
    }

    [Fact]
    public void TheScanSeesReferencesInsideMethodBodies()
    {
        // A probe: the body of Probe.Body names MtlTensor only in its IL (no signature mentions it).
        var targets = References(typeof(Probe)).Select(t => t.FullName).ToHashSet();
        Assert.Contains(typeof(MtlTensor).FullName, targets);
        Assert.Contains(typeof(global::MtlEngine.Kernels.Gemm.Gemm).FullName, targets);
    }

    private static class Probe
    {
        public static int Body(double[] a)
        {
            global::MtlEngine.Kernels.Gemm.Gemm.Multiply(1.0, new global::MtlEngine.Kernels.Gemm.ReadOnlyMatrixSpan<double>(a, 1, 1), new global::MtlEngine.Kernels.Gemm.ReadOnlyMatrixSpan<double>(a, 1, 1), 0.0,
                new global::MtlEngine.Kernels.Gemm.MatrixSpan<double>(a, 1, 1));
            return MtlTensor.Zeros<double>(2).Length;
        }
    }

    private static Type Outermost(Type t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        return t.IsGenericType ? t.GetGenericTypeDefinition() : t;
    }

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Every type a type names: in its signatures and in the IL of its methods.</summary>
    private static IEnumerable<Type> References(Type type)
    {
        var result = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || t.IsGenericParameter) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (!result.Add(t)) return;
            if (t.IsGenericType) foreach (var a in t.GetGenericArguments()) Add(a);
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var f in type.GetFields(All)) Add(f.FieldType);
        foreach (var p in type.GetProperties(All)) Add(p.PropertyType);
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            MethodBody? body;
            try { body = m.GetMethodBody(); } catch (Exception) { continue; }
            if (body is null) continue;
            foreach (var local in body.LocalVariables) Add(local.LocalType);
            foreach (var member in Tokens(m, body.GetILAsByteArray() ?? []))
                Add(member as Type ?? member.DeclaringType);
        }
        return result;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The members the IL names (calls, field accesses, type and ldtoken operands).</summary>
    private static IEnumerable<MemberInfo> Tokens(MethodBase method, byte[] il)
    {
        var module = method.Module;
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int at = 0; at < il.Length;)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: at += 1; break;
                case OperandType.InlineVar: at += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: at += 8; break;
                case OperandType.InlineSwitch: at += 4 + 4 * BitConverter.ToInt32(il, at); break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok:
                {
                    int token = BitConverter.ToInt32(il, at);
                    at += 4;
                    MemberInfo? member = null;
                    try { member = module.ResolveMember(token, typeArgs, methodArgs); } catch (Exception) { }
                    if (member is not null) yield return member;
                    break;
                }
                default: at += 4; break;
            }
        }
    }
}
