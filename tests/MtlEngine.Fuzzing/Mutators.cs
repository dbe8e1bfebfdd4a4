using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace MtlEngine.Fuzzing;

/// <summary>
/// Seeded mutations that know the formats: byte edits for everything, and for each format edits of its structure — the
/// .npy header dict (descr, shape, fortran_order, version, length), zip fields of an .npz (local and central CRC, sizes,
/// flags, method, names) and its members' .npy bytes, a safetensors header as JSON (dtype, shape, offsets, repeated keys,
/// lone surrogates, metadata), CSV fields and lines, model-file metadata values, kinds and tensors, and the spec's JSON.
/// </summary>
internal static class Mutators
{
    private static readonly string[] Descrs = ["<f4", "<f8", ">f8", "<i4", ">i8", "|u1", "|b1", "<u2", "<f2", "<c16", "O", "|f4", "=i4", "<i8", "", "<f8\u001b"];
    private static readonly string[] OddNumbers = ["1,5", "1e", "--1", "nan", "inf", "-inf", "0x10", "1e999", "-1e999", "\"1\"", "", " ", "\u001b[2J", "\u0085", "1.5.5", "∞", "1_000", "+", ".", "-0", "4.9e-324", "1e-400", "9223372036854775808", "١", "NaN(1)"];
    private static readonly string[] OddValues = ["x", "NaN", "Infinity", "-Infinity", "-1", "0", "1e400", "true", "false", "True", "none", "", "1,2", " 1", "1 ", "2147483648", "-2147483649", "\u001b[31m", "lbfgs", "newton-cg", "full", "randomized", "covariance", "auto", "Svd", "l1", "l2", "[\"a\"]", "1,1", "3,1", "0.0", "1.0"];
    private static readonly string[] Kinds = ["ridge", "pca", "logreg", "incremental_pca", "multitask_ridge", "multitask_elasticnet", "cca", "count_vectorizer", "tfidf_vectorizer", "mtl.train", "unknown", "\u001b]0;x\u0007", ""];
    private static readonly string[] SafetensorsDTypes = ["F32", "F64", "I32", "I64", "U8", "BOOL", "F16", "BF16", "I8", "U64", "", "f32"];

    // ---- bytes ----

    public static byte[] Bytes(byte[] input, Random random)
    {
        var bytes = new List<byte>(input);
        int edits = 1 + random.Next(3);
        for (int e = 0; e < edits; e++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(9))
            {
                case 0 when bytes.Count > 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1 when bytes.Count > 0: bytes[at] = (byte)random.Next(256); break;
                case 2: bytes.RemoveRange(at, bytes.Count - at); break;                             // truncate
                case 3: bytes.InsertRange(at, RandomBytes(random, 1 + random.Next(8))); break;      // insert
                case 4 when bytes.Count > 0: bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(8))); break;
                case 5: bytes.AddRange(RandomBytes(random, 1 + random.Next(64))); break;            // extend
                case 6 when bytes.Count >= 4: // an interesting 1-, 2-, 4- or 8-byte value
                    {
                        int width = 1 << random.Next(4);
                        ulong value = random.Next(6) switch { 0 => 0, 1 => ulong.MaxValue, 2 => 0x7FFFFFFF, 3 => 0x80000000, 4 => (ulong)random.Next(1 << 16), _ => (ulong)random.NextInt64() };
                        for (int b = 0; b < width && at + b < bytes.Count; b++) bytes[at + b] = (byte)(value >> (8 * b));
                        break;
                    }
                case 7 when bytes.Count > 2: // duplicate a chunk
                    {
                        int length = Math.Min(bytes.Count - at, 1 + random.Next(32));
                        bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                        break;
                    }
                default:
                    if (bytes.Count > 0) bytes[at] = (byte)"{}()[],:'\"0123456789-9 \n\0\xff\\u"[random.Next(28)];
                    break;
            }
        }
        return [.. bytes];
    }

    private static IEnumerable<byte> RandomBytes(Random random, int count) => Enumerable.Range(0, count).Select(_ => (byte)random.Next(256));

    // ---- .npy ----

    public static byte[] Npy(byte[] input, Random random)
    {
        if (random.Next(3) == 0 || input.Length < 12) return Bytes(input, random);
        int major = input[6];
        int lengthSize = major == 1 ? 2 : 4;
        int headerLength = lengthSize == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(input.AsSpan(8)) : (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(input.AsSpan(8)), int.MaxValue);
        int start = 8 + lengthSize;
        if (start + headerLength > input.Length) return Bytes(input, random);
        string header = Encoding.Latin1.GetString(input, start, headerLength);
        byte[] data = input[(start + headerLength)..];
        switch (random.Next(8))
        {
            case 0: header = ReplaceValue(header, "'descr': '", "'", Pick(random, Descrs)); break;
            case 1: header = ReplaceValue(header, "'shape': (", ")", RandomShape(random)); break;
            case 2: header = header.Contains("False") ? header.Replace("False", random.Next(2) == 0 ? "True" : "0") : header.Replace("True", "False"); break;
            case 3: header = header.Insert(1, Pick(random, ["'extra': 1, ", "'descr': '<f8', ", "'shape': (), ", "\u0000", "{", "'a': ("])); break;
            case 4: data = Truncate(data, random); break;
            case 5: data = [.. data, .. RandomBytes(random, 1 + random.Next(16))]; break;
            case 6: major = Pick(random, [0, 1, 2, 3, 4, 255]); break;
            default: header = header[..random.Next(header.Length + 1)]; break;
        }
        byte[] headerBytes = Encoding.Latin1.GetBytes(header);
        int size = major == 1 || major == 0 ? 2 : 4;
        var output = new byte[8 + size + headerBytes.Length + data.Length];
        input.AsSpan(0, 6).CopyTo(output);
        output[6] = (byte)major;
        output[7] = input[7];
        long declared = random.Next(6) == 0 ? random.NextInt64(0, uint.MaxValue) : headerBytes.Length;
        if (size == 2) BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(8), (ushort)declared);
        else BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(8), (uint)declared);
        headerBytes.CopyTo(output, 8 + size);
        data.CopyTo(output, 8 + size + headerBytes.Length);
        return output;
    }

    private static string RandomShape(Random random)
    {
        int rank = random.Next(5);
        var dims = Enumerable.Range(0, rank).Select(_ => random.Next(8) switch
        {
            0 => "-1", 1 => "0", 2 => "2147483648", 3 => "99999999999999999999", 4 => "1.5", 5 => "'3'", _ => random.Next(1, 5).ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).ToArray();
        return rank == 1 ? dims[0] + "," : string.Join(", ", dims);
    }

    private static string ReplaceValue(string text, string before, string after, string value)
    {
        int at = text.IndexOf(before, StringComparison.Ordinal);
        if (at < 0) return text;
        at += before.Length;
        int end = text.IndexOf(after, at, StringComparison.Ordinal);
        return end < 0 ? text : text[..at] + value + text[end..];
    }

    private static byte[] Truncate(byte[] data, Random random) => data.Length == 0 ? data : data[..random.Next(data.Length)];

    // ---- .npz ----

    public static byte[] Npz(byte[] input, Random random)
    {
        switch (random.Next(4))
        {
            case 0: return Bytes(input, random);
            case 1: return ZipField(input, random);
            default:
                // Rewrite the archive with one member's .npy bytes mutated (a valid zip around invalid contents), or a member renamed.
                try
                {
                    var members = new List<(string Name, byte[] Bytes)>();
                    using (var zip = new ZipArchive(new MemoryStream(input), ZipArchiveMode.Read))
                        foreach (var entry in zip.Entries)
                        {
                            using var stream = entry.Open();
                            var copy = new MemoryStream();
                            stream.CopyTo(copy);
                            members.Add((entry.FullName, copy.ToArray()));
                        }
                    if (members.Count == 0) return Bytes(input, random);
                    int which = random.Next(members.Count);
                    members[which] = random.Next(5) == 0
                        ? (Pick(random, ["a.npy", members[0].Name, "x", "dir/", "../up.npy", "é.npy", "\u001b.npy"]), members[which].Bytes)
                        : (members[which].Name, Npy(members[which].Bytes, random));
                    var output = new MemoryStream();
                    using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
                        foreach (var (name, bytes) in members)
                        {
                            var entry = zip.CreateEntry(name, random.Next(2) == 0 ? CompressionLevel.NoCompression : CompressionLevel.Fastest);
                            using var stream = entry.Open();
                            stream.Write(bytes);
                        }
                    return output.ToArray();
                }
                catch (InvalidDataException)
                {
                    return Bytes(input, random);
                }
        }
    }

    /// <summary>Overwrites one field of a local header, a central directory record or the end record.</summary>
    private static byte[] ZipField(byte[] input, Random random)
    {
        var output = (byte[])input.Clone();
        uint[] signatures = [0x04034b50, 0x02014b50, 0x06054b50];
        uint signature = signatures[random.Next(3)];
        var positions = new List<int>();
        for (int i = 0; i + 4 <= output.Length; i++)
            if (BinaryPrimitives.ReadUInt32LittleEndian(output.AsSpan(i)) == signature) positions.Add(i);
        if (positions.Count == 0) return Bytes(input, random);
        int at = positions[random.Next(positions.Count)];
        // (offset, width) of the fields: local 6 flags, 8 method, 14 crc, 18 csize, 22 usize, 26 name, 28 extra;
        // central 8 flags, 10 method, 16 crc, 20 csize, 24 usize, 28 name, 30 extra, 32 comment, 42 offset; end 8, 10 counts, 12 size, 16 offset, 20 comment.
        (int Offset, int Width)[] fields = signature switch
        {
            0x04034b50 => [(6, 2), (8, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)],
            0x02014b50 => [(8, 2), (10, 2), (16, 4), (20, 4), (24, 4), (28, 2), (30, 2), (32, 2), (42, 4)],
            _ => [(8, 2), (10, 2), (12, 4), (16, 4), (20, 2)],
        };
        var (offset, width) = fields[random.Next(fields.Length)];
        if (at + offset + width > output.Length) return output;
        ulong old = width == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(output.AsSpan(at + offset)) : BinaryPrimitives.ReadUInt32LittleEndian(output.AsSpan(at + offset));
        ulong value = random.Next(7) switch
        {
            0 => 0, 1 => uint.MaxValue, 2 => old + 1, 3 => old - 1, 4 => old | 1, 5 => old ^ (1UL << random.Next(width * 8)), _ => (ulong)random.NextInt64(),
        };
        if (width == 2) BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(at + offset), (ushort)value);
        else BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(at + offset), (uint)value);
        return output;
    }

    // ---- safetensors ----

    public static byte[] Safetensors(byte[] input, Random random)
    {
        if (random.Next(4) == 0 || input.Length < 8) return Bytes(input, random);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(input);
        if (length > (ulong)(input.Length - 8)) return Bytes(input, random);
        string json = Encoding.UTF8.GetString(input, 8, (int)length);
        byte[] data = input[(8 + (int)length)..];
        string edited;
        switch (random.Next(5))
        {
            case 0: // text-level edits the JSON writers would never produce
                edited = Pick(random, [
                    () => InsertAfterFirst(json, "{\"dtype\":", "\"I32\",\"dtype\":"),
                    () => InsertAfterFirst(json, "{", "\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"),
                    () => json.Replace("\"F32\"", "\"F3\\udc00\""),
                    () => InsertAfterFirst(json, "{", "\"__metadata__\":{\"k\":\"\\u001b\"},"),
                    () => new string('[', 20) + json,
                    () => json.Replace("[", "[-1,"),
                    () => json.Replace(",", ",,"),
                    () => json[..random.Next(json.Length + 1)],
                ])();
                break;
            case 1: // the data buffer
                edited = json;
                data = random.Next(2) == 0 ? Truncate(data, random) : [.. data, .. RandomBytes(random, 1 + random.Next(16))];
                break;
            default:
                edited = EditJson(json, random, SafetensorsLeaf) ?? json;
                break;
        }
        byte[] header = Encoding.UTF8.GetBytes(edited);
        var output = new byte[8 + header.Length + data.Length];
        ulong declared = random.Next(8) == 0 ? (ulong)random.NextInt64(0, header.Length + 64) : (ulong)header.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(output, declared);
        header.CopyTo(output, 8);
        data.CopyTo(output, 8 + header.Length);
        return output;
    }

    private static JsonNode? SafetensorsLeaf(string key, JsonNode? current, Random random) => key switch
    {
        "dtype" => JsonValue.Create(Pick(random, SafetensorsDTypes)),
        "shape" or "data_offsets" => JsonNode.Parse(Pick(random, ["[]", "[0]", "[-1]", "[1,2]", "[2,1]", "[9999999999]", "[1.5]", "[\"1\"]", "[0,0]", "[0,4]", "[4,0]", "[0,18446744073709551615]", "[3,2,1]", "[[1]]"])),
        _ => RandomJsonValue(random, current),
    };

    private static string InsertAfterFirst(string text, string anchor, string insertion)
    {
        int at = text.IndexOf(anchor, StringComparison.Ordinal);
        return at < 0 ? text : text.Insert(at + anchor.Length, insertion);
    }

    // ---- CSV ----

    public static byte[] Csv(byte[] input, Random random)
    {
        if (random.Next(5) == 0) return Bytes(input, random);
        string text = Encoding.UTF8.GetString(input);
        var lines = text.Split('\n').ToList();
        int line = random.Next(lines.Count);
        var fields = lines[line].Split(',').ToList();
        switch (random.Next(9))
        {
            case 0: fields[random.Next(fields.Count)] = Pick(random, OddNumbers); break;
            case 1: fields.Insert(random.Next(fields.Count + 1), Pick(random, OddNumbers)); break;
            case 2 when fields.Count > 1: fields.RemoveAt(random.Next(fields.Count)); break;
            case 3: lines.Insert(random.Next(lines.Count + 1), Pick(random, ["", "#", "# x,y", " ", "\r", "a,b,c", "1", "\"", "1,2,3,4,5,6,7,8,9"])); break;
            case 4: lines.Insert(random.Next(lines.Count + 1), lines[line]); break;
            case 5: text = "\uFEFF" + text; return Encoding.UTF8.GetBytes(text);
            case 6: return Encoding.UTF8.GetBytes(text.Replace(",", Pick(random, [";", "\t", " ", ",,", "\",\""])));
            case 7: fields[random.Next(fields.Count)] = new string('9', random.Next(1, 400)); break;
            default: fields[random.Next(fields.Count)] = "\"" + fields[random.Next(fields.Count)]; break;
        }
        lines[line] = string.Join(",", fields);
        return Encoding.UTF8.GetBytes(string.Join(random.Next(4) == 0 ? "\r\n" : "\n", lines));
    }

    // ---- model files ----

    public static byte[] Model(byte[] input, Random random)
    {
        if (random.Next(3) == 0) return Safetensors(input, random);
        try
        {
            var file = MtlEngine.Data.Safetensors.Read(new MemoryStream(input), "seed");
            var tensors = file.Tensors.ToList();
            var metadata = new Dictionary<string, string>(file.Metadata);
            switch (random.Next(6))
            {
                case 0:
                    metadata[MtlEngine.Learn.ModelFile.KindKey] = Pick(random, Kinds);
                    break;
                case 1 when metadata.Count > 0:
                    {
                        string key = metadata.Keys.ElementAt(random.Next(metadata.Count));
                        if (random.Next(6) == 0) metadata.Remove(key);
                        else metadata[key] = Pick(random, OddValues);
                        break;
                    }
                case 2 when tensors.Count > 0: // a value
                    {
                        int which = random.Next(tensors.Count);
                        var values = tensors[which].ToDoubleArray();
                        if (values.Length > 0) values[random.Next(values.Length)] = Pick(random, [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e308, -0.0, 5e-324, 2147483648.0, 1.5]);
                        tensors[which] = new Data.NdArray(tensors[which].Name, Data.DType.Float64, tensors[which].Shape.ToArray(), values);
                        break;
                    }
                case 3 when tensors.Count > 0: // a shape
                    {
                        int which = random.Next(tensors.Count);
                        var t = tensors[which];
                        int[] shape = random.Next(3) switch
                        {
                            0 => [t.Length],
                            1 => [.. t.Shape, 1],
                            _ => [1, .. t.Shape],
                        };
                        if (random.Next(4) == 0 && t.Length > 1) { tensors[which] = new Data.NdArray(t.Name, Data.DType.Float64, [t.Length - 1], t.ToDoubleArray()[1..]); break; }
                        tensors[which] = new Data.NdArray(t.Name, t.DType, shape, t.Data);
                        break;
                    }
                case 4 when tensors.Count > 0: // a dtype
                    {
                        int which = random.Next(tensors.Count);
                        var t = tensors[which];
                        var values = t.ToDoubleArray();
                        tensors[which] = random.Next(4) switch
                        {
                            0 => new Data.NdArray(t.Name, Data.DType.Int64, t.Shape.ToArray(), values.Select(v => (long)v).ToArray()),
                            1 => new Data.NdArray(t.Name, Data.DType.Float32, t.Shape.ToArray(), values.Select(v => (float)v).ToArray()),
                            2 => new Data.NdArray(t.Name, Data.DType.Bool, t.Shape.ToArray(), values.Select(v => v != 0).ToArray()),
                            _ => new Data.NdArray(t.Name, Data.DType.UInt8, t.Shape.ToArray(), values.Select(v => (byte)v).ToArray()),
                        };
                        break;
                    }
                default: // a tensor dropped or added
                    if (random.Next(2) == 0 && tensors.Count > 0) tensors.RemoveAt(random.Next(tensors.Count));
                    else tensors.Add(Data.NdArray.Create(Pick(random, ["classes_", "coef_", "extra", "idf_", "var_"]), new[] { 1.0, 2.0 }));
                    break;
            }
            tensors = tensors.GroupBy(t => t.Name).Select(g => g.Last()).ToList();
            var output = new MemoryStream();
            MtlEngine.Data.Safetensors.Write(output, tensors, metadata);
            return output.ToArray();
        }
        catch (Exception e) when (e is Data.DataFormatException or ArgumentException)
        {
            return Bytes(input, random);
        }
    }

    // ---- the train spec ----

    public static byte[] Spec(byte[] input, Random random)
    {
        if (random.Next(6) == 0) return Bytes(input, random);
        string json = Encoding.UTF8.GetString(input);
        string edited = random.Next(6) == 0
            ? Pick(random, [
                () => json.Replace("{", "{\"inputs\": [], ", StringComparison.Ordinal),
                () => InsertAfterFirst(json, "{", "\"x\\ud800\": 1, "),
                () => json.Replace("\"numeric\"", "\"num\\u0000eric\""),
                () => json[..random.Next(json.Length + 1)],
                () => json.Replace(".npy", ".csv"),
                () => json.Replace("\"name\": \"", "\"name\": \"\\u001b"),
            ])()
            : EditJson(json, random, (_, current, r) => RandomJsonValue(r, current)) ?? json;
        return Encoding.UTF8.GetBytes(edited);
    }

    // ---- JSON ----

    /// <summary>Parses <paramref name="json"/>, applies one edit at a random node, and writes it back (null when it does not parse).</summary>
    private static string? EditJson(string json, Random random, Func<string, JsonNode?, Random, JsonNode?> leaf)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
        if (root is null) return null;
        var nodes = new List<(JsonNode? Parent, string? Key, int Index, JsonNode? Node)>();
        void Walk(JsonNode? parent, string? key, int index, JsonNode? node)
        {
            nodes.Add((parent, key, index, node));
            if (node is JsonObject o) foreach (var (k, v) in o.ToList()) Walk(o, k, -1, v);
            else if (node is JsonArray a) for (int i = 0; i < a.Count; i++) Walk(a, null, i, a[i]);
        }
        Walk(null, null, -1, root);
        var (parentNode, name, position, target) = nodes[random.Next(nodes.Count)];
        switch (random.Next(5))
        {
            case 0 when parentNode is JsonObject o: o.Remove(name!); break;
            case 1 when target is JsonObject o: o[Pick(random, ["extra", "dtype", "shape", "__metadata__", "type", "path", "hidden", "epochs", "name", "\u001b"])] = RandomJsonValue(random, null); break;
            case 2 when target is JsonArray a: if (random.Next(2) == 0 && a.Count > 0) a.RemoveAt(random.Next(a.Count)); else a.Add(a.Count > 0 ? a[0]?.DeepClone() : RandomJsonValue(random, null)); break;
            default:
                var replacement = leaf(name ?? "", target, random);
                if (parentNode is JsonObject po) po[name!] = replacement;
                else if (parentNode is JsonArray pa) pa[position] = replacement;
                else return replacement?.ToJsonString() ?? "null";
                break;
        }
        return root.ToJsonString();
    }

    private static JsonNode? RandomJsonValue(Random random, JsonNode? current) => random.Next(14) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next(2) == 0),
        2 => JsonValue.Create(-1),
        3 => JsonValue.Create(0),
        4 => JsonValue.Create(1e308),
        5 => JsonValue.Create(2147483648L),
        6 => JsonValue.Create(0.5),
        7 => JsonValue.Create(Pick(random, OddValues)),
        8 => new JsonArray(),
        9 => new JsonObject(),
        10 => JsonValue.Create(Pick(random, ["mlp", "cnn", "identity", "embedding-bag", "category", "binary", "numeric", "image", "text", "concat", "film", "cross-attention", "loss", "x.npy", "/dev/zero", "..", "spec.json"])),
        11 => JsonValue.Create(-1e-320),
        12 => current?.DeepClone() is JsonNode copy ? new JsonArray(copy) : new JsonArray(1, 2),
        _ => JsonValue.Create(random.NextInt64(-5, 100000)),
    };

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}
