using System.Globalization;
using System.Text;

namespace MtlEngine.Data;

/// <summary>
/// A small parser for the Python literals a .npy header holds: a dict of string keys to strings, booleans,
/// integers and tuples, e.g. <c>{'descr': '&lt;f8', 'fortran_order': False, 'shape': (3, 4), }</c>.
/// It accepts what <c>ast.literal_eval</c> would for such a header (either quote style, trailing commas, any
/// whitespace, Python 2's <c>3L</c>) and rejects everything else with a <see cref="DataFormatException"/>.
/// Values map to <see cref="string"/>, <see cref="bool"/>, <see cref="long"/>, <see cref="PythonTuple"/>
/// (tuples and lists), <see cref="Dictionary{TKey,TValue}"/> and <c>null</c> (None).
/// </summary>
internal sealed class PythonLiteral
{
    private const int MaxDepth = 32;
    private readonly string _text;
    private readonly string _source;
    private int _position;
    private int _depth;

    private PythonLiteral(string text, string source)
    {
        _text = text;
        _source = source;
    }

    /// <summary>A tuple or list.</summary>
    public sealed class PythonTuple(List<object?> items)
    {
        /// <summary>The elements.</summary>
        public List<object?> Items { get; } = items;
    }

    /// <summary>Parses one literal that spans the whole text (surrounding whitespace allowed).</summary>
    public static object? Parse(string text, string source)
    {
        var parser = new PythonLiteral(text, source);
        object? value = parser.ParseValue();
        parser.SkipWhitespace();
        if (parser._position != text.Length)
            throw parser.Error($"unexpected '{parser.Describe()}' after the header's value");
        return value;
    }

    private object? ParseValue()
    {
        SkipWhitespace();
        if (_position >= _text.Length) throw Error("the header ends where a value was expected");
        char c = _text[_position];
        switch (c)
        {
            case '{':
                return Nested(ParseDict);
            case '(':
                return Nested(() => ParseSequence(')', parenthesized: true));
            case '[':
                return Nested(() => ParseSequence(']', parenthesized: false));
            case '\'' or '"':
                return ParseString();
        }
        if (c is '-' or '+' || char.IsAsciiDigit(c)) return ParseInteger();
        if (char.IsAsciiLetter(c) || c == '_')
        {
            int start = _position;
            while (_position < _text.Length && (char.IsAsciiLetterOrDigit(_text[_position]) || _text[_position] == '_')) _position++;
            string word = _text[start.._position];
            return word switch
            {
                "True" => true,
                "False" => false,
                "None" => null,
                _ => throw Error($"'{Shorten(word)}' is not a Python literal"),
            };
        }
        throw Error($"unexpected '{Describe()}' where a value was expected");
    }

    private object? Nested(Func<object?> parse)
    {
        if (++_depth > MaxDepth) throw Error($"the header nests deeper than {MaxDepth} levels");
        object? value = parse();
        _depth--;
        return value;
    }

    private Dictionary<string, object?> ParseDict()
    {
        _position++; // '{'
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (true)
        {
            SkipWhitespace();
            if (Peek() == '}') { _position++; return dict; }
            if (ParseValue() is not string key) throw Error("a dictionary key in the header is not a string");
            SkipWhitespace();
            if (Peek() != ':') throw Error($"expected ':' after the key '{Shorten(key)}' but found '{Describe()}'");
            _position++;
            object? value = ParseValue();
            if (!dict.TryAdd(key, value)) throw Error($"the header repeats the key '{Shorten(key)}'");
            SkipWhitespace();
            char next = Peek();
            if (next == ',') { _position++; continue; }
            if (next == '}') { _position++; return dict; }
            throw Error($"expected ',' or '}}' in the header dictionary but found '{Describe()}'");
        }
    }

    private object? ParseSequence(char close, bool parenthesized)
    {
        _position++; // '(' or '['
        var items = new List<object?>();
        bool sawComma = false;
        while (true)
        {
            SkipWhitespace();
            if (Peek() == close) { _position++; break; }
            items.Add(ParseValue());
            SkipWhitespace();
            char next = Peek();
            if (next == ',') { _position++; sawComma = true; continue; }
            if (next == close) { _position++; break; }
            throw Error($"expected ',' or '{close}' but found '{Describe()}'");
        }
        // "(3)" is the integer 3 in Python, "(3,)" a tuple.
        if (parenthesized && items.Count == 1 && !sawComma) return items[0];
        return new PythonTuple(items);
    }

    private string ParseString()
    {
        char quote = _text[_position++];
        var builder = new StringBuilder();
        while (true)
        {
            if (_position >= _text.Length || _text[_position] is '\n' or '\r')
                throw Error("a string in the header is not closed");
            char c = _text[_position++];
            if (c == quote) return builder.ToString();
            if (c != '\\') { builder.Append(c); continue; }
            if (_position >= _text.Length) throw Error("a string in the header is not closed");
            char escaped = _text[_position++];
            switch (escaped)
            {
                case 'n': builder.Append('\n'); break;
                case 't': builder.Append('\t'); break;
                case 'r': builder.Append('\r'); break;
                case '0': builder.Append('\0'); break;
                case '\\' or '\'' or '"': builder.Append(escaped); break;
                case 'x': builder.Append((char)ParseHex(2)); break;
                case 'u': builder.Append((char)ParseHex(4)); break;
                default: builder.Append('\\').Append(escaped); break;
            }
        }
    }

    private int ParseHex(int digits)
    {
        if (_position + digits > _text.Length ||
            !int.TryParse(_text.AsSpan(_position, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value))
            throw Error("a string in the header has a bad escape sequence");
        _position += digits;
        return value;
    }

    private long ParseInteger()
    {
        int start = _position;
        bool negative = false;
        if (_text[_position] is '-' or '+')
        {
            negative = _text[_position] == '-';
            _position++;
            SkipWhitespace();
        }
        if (_position >= _text.Length || !char.IsAsciiDigit(_text[_position]))
            throw Error($"'{Shorten(_text[start..Math.Min(_text.Length, _position + 1)])}' is not a number");
        long value = 0;
        while (_position < _text.Length && (char.IsAsciiDigit(_text[_position]) || _text[_position] == '_'))
        {
            char c = _text[_position++];
            if (c == '_') continue;
            if (value > (long.MaxValue - (c - '0')) / 10)
                throw Error($"the number starting '{Shorten(_text[start.._position])}' in the header is too large");
            value = value * 10 + (c - '0');
        }
        if (_position < _text.Length && _text[_position] is 'L' or 'l') _position++; // Python 2 long
        if (_position < _text.Length && (char.IsAsciiLetter(_text[_position]) || _text[_position] == '.'))
            throw Error($"'{Shorten(_text[start..Math.Min(_text.Length, _position + 1)])}' is not an integer");
        return negative ? -value : value;
    }

    private void SkipWhitespace()
    {
        while (_position < _text.Length && _text[_position] is ' ' or '\t' or '\n' or '\r' or '\f' or '\v') _position++;
    }

    private char Peek() => _position < _text.Length ? _text[_position] : '\0';

    private string Describe() => _position < _text.Length ? Shorten(_text.Substring(_position, Math.Min(10, _text.Length - _position)).TrimEnd()) : "end of header";

    private static string Shorten(string text)
    {
        var builder = new StringBuilder();
        foreach (char c in text.Length > 40 ? text[..40] + "..." : text)
            builder.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        return builder.ToString();
    }

    private DataFormatException Error(string problem) => new(_source, $"bad .npy header: {problem} (at character {_position})");
}
