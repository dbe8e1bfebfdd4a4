using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MtlEngine.Data;

/// <summary>What a safetensors file holds: its tensors (in header order) and its <c>__metadata__</c>.</summary>
public sealed class SafetensorsFile
{
    /// <summary>Wraps tensors and metadata.</summary>
    public SafetensorsFile(IReadOnlyList<NdArray> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The tensors, each named.</summary>
    public IReadOnlyList<NdArray> Tensors { get; }

    /// <summary>The free-form string → string map under <c>__metadata__</c> (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">When there is none.</exception>
    public NdArray this[string name] =>
        Tensors.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"No tensor named '{name}'; the file holds {string.Join(", ", Tensors.Select(t => t.Name))}.");
}

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// <c>{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ..., "__metadata__": {...}}</c>,
/// then the byte buffer that the offsets (relative to its start) cover without gaps or overlaps. All saved
/// MtlEngine models use it. Supports F32, F64, I32, I64, U8 and BOOL.
/// </summary>
public static class Safetensors
{
    /// <summary>The largest header we accept (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100L << 20;

    private const string MetadataKey = "__metadata__";
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>Reads the tensors and metadata of a safetensors file.</summary>
    /// <exception cref="DataFormatException">When the file is malformed; the message names the file and the problem.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    public static SafetensorsFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = InputFile.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads a safetensors file from <paramref name="stream"/> (to its end); <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="DataFormatException">When the bytes are malformed.</exception>
    public static SafetensorsFile Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        try
        {
            stream = InputFile.Seekable(stream);
            return ReadCore(stream, sourceName, stream.Length - stream.Position);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new DataFormatException(sourceName, $"could not be read: {e.Message}", e);
        }
    }

    private readonly record struct Entry(string Name, DType DType, long[] Shape, long Begin, long End);

    private static SafetensorsFile ReadCore(Stream stream, string source, long fileLength)
    {
        if (fileLength < 8)
            throw new DataFormatException(source, $"too short for a safetensors file ({fileLength} bytes; the 8-byte header length is missing)");
        Span<byte> lengthBytes = stackalloc byte[8];
        ElementCodec.ReadExactly(stream, lengthBytes, source, "the header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes)
            throw new DataFormatException(source, $"header length {headerLength} is larger than the {MaxHeaderBytes} bytes allowed (is this a safetensors file?)");
        if ((long)headerLength > fileLength - 8)
            throw new DataFormatException(source, $"header length {headerLength} runs past the end of the file ({fileLength} bytes)");
        var header = new byte[headerLength];
        ElementCodec.ReadExactly(stream, header, source, "the header");
        long bufferLength = fileLength - 8 - (long)headerLength;

        var (entries, metadata) = ParseHeader(header, source);
        CheckCoverage(entries, bufferLength, source);

        // The entries cover the buffer in offset order without gaps, so one sequential pass reads them all.
        var data = new Array[entries.Count];
        var order = Enumerable.Range(0, entries.Count).OrderBy(i => entries[i].Begin).ThenBy(i => entries[i].End).ToArray();
        foreach (int i in order)
        {
            Entry entry = entries[i];
            var (length, byteCount) = ElementCodec.CheckedSize(entry.Shape, entry.DType, source);
            data[i] = ElementCodec.ReadElements(stream, entry.DType, length, byteCount, bigEndian: false, lengthKnown: true, $"{source} (tensor '{entry.Name}')");
        }
        var tensors = new NdArray[entries.Count];
        for (int i = 0; i < tensors.Length; i++)
            tensors[i] = new NdArray(entries[i].Name, entries[i].DType, ElementCodec.ToIntShape(entries[i].Shape), data[i]);
        return new SafetensorsFile(tensors, metadata);
    }

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(byte[] header, string source)
    {
        JsonDocument document;
        try
        {
            // JsonDocument checks UTF-8 only in the strings it is asked to decode; check the whole header first.
            _ = StrictUtf8.GetCharCount(header);
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (DecoderFallbackException e)
        {
            throw new DataFormatException(source, "the header is not valid UTF-8", e);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new DataFormatException(source, $"the header is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            try
            {
                return ParseDocument(document.RootElement, source);
            }
            catch (InvalidOperationException e)
            {
                // JSON may escape half a UTF-16 surrogate pair ("\ud800"); such a string has no UTF-8 form and .NET will not decode it.
                throw new DataFormatException(source, "the header holds a string that is not valid Unicode (a lone UTF-16 surrogate escape such as \\ud800)", e);
            }
        }
    }

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseDocument(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new DataFormatException(source, $"the header is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (!names.Add(property.Name))
                throw new DataFormatException(source, $"the header names '{property.Name}' twice");
            if (property.Name == MetadataKey)
                ParseMetadata(property.Value, metadata, source);
            else
                entries.Add(ParseEntry(property.Name, property.Value, source));
        }
        return (entries, metadata);
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new DataFormatException(source, "__metadata__ is not a JSON object of strings");
        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new DataFormatException(source, $"__metadata__ entry '{item.Name}' is not a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new DataFormatException(source, $"__metadata__ names '{item.Name}' twice");
        }
    }

    private static Entry ParseEntry(string name, JsonElement value, string source)
    {
        string where = $"tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw new DataFormatException(source, $"{where} is not a JSON object with dtype, shape and data_offsets");
        // JsonElement.TryGetProperty takes the last of repeated keys; a repeated key is refused, not resolved silently.
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty field in value.EnumerateObject())
            if (!keys.Add(field.Name))
                throw new DataFormatException(source, $"{where} names '{field.Name}' twice");
        if (!value.TryGetProperty("dtype", out JsonElement dtypeValue) || dtypeValue.ValueKind != JsonValueKind.String)
            throw new DataFormatException(source, $"{where} has no dtype string");
        string dtypeName = dtypeValue.GetString()!;
        DType dtype = dtypeName switch
        {
            "F32" => DType.Float32,
            "F64" => DType.Float64,
            "I32" => DType.Int32,
            "I64" => DType.Int64,
            "U8" => DType.UInt8,
            "BOOL" => DType.Bool,
            _ => throw new DataFormatException(source,
                $"{where} has dtype '{(dtypeName.Length > 20 ? dtypeName[..20] + "..." : dtypeName)}', which is not supported (supported: F32, F64, I32, I64, U8, BOOL)"),
        };
        long[] shape = ReadIntegers(value, "shape", where, source);
        if (shape.Length > 64)
            throw new DataFormatException(source, $"{where} has {shape.Length} dimensions (at most 64 allowed)");
        long[] offsets = ReadIntegers(value, "data_offsets", where, source);
        if (offsets.Length != 2)
            throw new DataFormatException(source, $"{where} has {offsets.Length} data_offsets; expected [begin, end]");
        foreach (long size in shape)
            if (size < 0) throw new DataFormatException(source, $"{where} has a negative dimension in shape {ElementCodec.ShapeText(shape)}");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadIntegers(JsonElement value, string key, string where, string source)
    {
        if (!value.TryGetProperty(key, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
            throw new DataFormatException(source, $"{where} has no {key} array");
        int count = array.GetArrayLength();
        if (count > 64)
            throw new DataFormatException(source, $"{where} has {count} entries in {key} (at most 64 allowed)");
        var result = new long[count];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long number) || number < 0)
                throw new DataFormatException(source, $"{where} has {key} entry {item.GetRawText()}, which is not a non-negative integer");
            result[i++] = number;
        }
        return result;
    }

    /// <summary>
    /// The reference implementation's rule: sorted by offsets, each tensor begins where the previous one ended, its
    /// byte range equals shape × item size, and the last one ends where the buffer does.
    /// </summary>
    private static void CheckCoverage(List<Entry> entries, long bufferLength, string source)
    {
        long cursor = 0;
        foreach (Entry entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            string where = $"tensor '{entry.Name}'";
            if (entry.End < entry.Begin)
                throw new DataFormatException(source, $"{where} has data_offsets [{entry.Begin}, {entry.End}] that end before they begin");
            if (entry.Begin != cursor)
                throw new DataFormatException(source, entry.Begin < cursor
                    ? $"{where} has data_offsets [{entry.Begin}, {entry.End}] that overlap the previous tensor (which ends at {cursor})"
                    : $"{where} has data_offsets [{entry.Begin}, {entry.End}] that leave a gap after byte {cursor}");
            if (entry.End > bufferLength)
                throw new DataFormatException(source, $"{where} has data_offsets [{entry.Begin}, {entry.End}] beyond the {bufferLength}-byte data buffer");
            var (_, byteCount) = ElementCodec.CheckedSize(entry.Shape, entry.DType, source);
            if (entry.End - entry.Begin != byteCount)
                throw new DataFormatException(source,
                    $"{where} of shape {ElementCodec.ShapeText(entry.Shape)} and dtype {DTypes.SafetensorsName(entry.DType)} needs {byteCount} bytes but its data_offsets [{entry.Begin}, {entry.End}] span {entry.End - entry.Begin}");
            cursor = entry.End;
        }
        if (cursor != bufferLength)
            throw new DataFormatException(source, $"the tensors cover {cursor} bytes but the data buffer has {bufferLength}");
    }

    /// <summary>
    /// Writes the tensors (sorted by name, data contiguous in that order) and optional metadata. The header is padded
    /// with spaces to a multiple of 8 bytes, as the reference implementation does.
    /// </summary>
    /// <exception cref="ArgumentException">When a name is empty, repeated or <c>__metadata__</c>.</exception>
    public static void Write(string path, IReadOnlyList<NdArray> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckNames(tensors);
        using var stream = File.Create(path);
        Write(stream, tensors, metadata);
    }

    /// <summary>Writes a safetensors file to <paramref name="stream"/> (see <see cref="Write(string, IReadOnlyList{NdArray}, IReadOnlyDictionary{string, string}?)"/>).</summary>
    /// <exception cref="ArgumentException">When a name is empty, repeated or <c>__metadata__</c>.</exception>
    public static void Write(Stream stream, IReadOnlyList<NdArray> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckNames(tensors);
        NdArray[] sorted = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();

        var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (NdArray tensor in sorted)
            {
                long size = (long)tensor.Length * DTypes.ItemSize(tensor.DType);
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", DTypes.SafetensorsName(tensor.DType));
                writer.WriteStartArray("shape");
                foreach (int dim in tensor.Shape) writer.WriteNumberValue(dim);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + size);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += size;
            }
            writer.WriteEndObject();
        }
        int padding = (int)((8 - json.Length % 8) % 8);
        for (int i = 0; i < padding; i++) json.WriteByte((byte)' ');

        Span<byte> lengthBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)json.Length);
        stream.Write(lengthBytes);
        json.Position = 0;
        json.CopyTo(stream);
        foreach (NdArray tensor in sorted) ElementCodec.WriteLittleEndian(stream, tensor.Data);
    }

    private static void CheckNames(IReadOnlyList<NdArray> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (NdArray tensor in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
            if (tensor.Name.Length == 0)
                throw new ArgumentException("Every tensor in a safetensors file needs a name.", nameof(tensors));
            if (tensor.Name == MetadataKey)
                throw new ArgumentException($"A tensor cannot be named '{MetadataKey}'; that key holds the metadata.", nameof(tensors));
            if (!names.Add(tensor.Name))
                throw new ArgumentException($"Two tensors are named '{tensor.Name}'; names in a safetensors file must be unique.", nameof(tensors));
        }
    }
}
