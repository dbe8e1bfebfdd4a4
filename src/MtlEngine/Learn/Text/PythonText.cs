using System.Globalization;
using System.Text;

namespace MtlEngine.Learn.Text;

/// <summary>
/// The three pieces of Python 3's string semantics that scikit-learn's default analyzer relies on, written so that the
/// engine tokenizes exactly as <c>re.findall(r"(?u)\b\w\w+\b", doc.lower())</c> does:
/// <list type="bullet">
/// <item><b>\w</b>: Python's <c>str.isalnum() or "_"</c>, i.e. the general categories Lu, Ll, Lt, Lm, Lo, Nd, Nl, No and
/// the underscore. .NET's own <c>\w</c> differs ([\p{L}\p{Mn}\p{Nd}\p{Pc}]: it adds combining marks and connector
/// punctuation, and lacks Nl and No such as "Ⅻ" and "²"), so no .NET regex is used on the default path.</item>
/// <item><b>str.lower()</b>: the simple lowercase mapping of each code point, except U+0130 (İ → "i̇", two code points)
/// and the capital sigma, which becomes the final form ς at the end of a word (Unicode's Final_Sigma context).</item>
/// <item><b>Sorting</b>: Python orders strings by code point, which differs from .NET's ordinal (UTF-16 code unit) order
/// when a surrogate pair meets a character in U+E000..U+FFFF.</item>
/// </list>
/// The character tables are .NET's (Unicode 15+); Python 3.11 uses Unicode 14, so only characters assigned since then
/// can differ.
/// </summary>
internal static class PythonText
{
    private static readonly bool[] AsciiWord = BuildAsciiWord();

    private static bool[] BuildAsciiWord()
    {
        var table = new bool[128];
        for (int c = 0; c < 128; c++)
            table[c] = c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_';
        return table;
    }

    /// <summary>Python's <c>\w</c> for an ASCII character: [A-Za-z0-9_].</summary>
    public static bool IsAsciiWord(char c) => AsciiWord[c];

    /// <summary>Python's <c>\w</c> for one code point: a letter (L*), a number (Nd, Nl, No) or "_".</summary>
    public static bool IsWord(int codePoint)
    {
        if (codePoint < 128) return AsciiWord[codePoint];
        return CharUnicodeInfo.GetUnicodeCategory(codePoint) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => true,
            _ => false,
        };
    }

    /// <summary>The code point at <paramref name="i"/> and its width in UTF-16 units (a lone surrogate is its own code point).</summary>
    public static int CodePointAt(ReadOnlySpan<char> s, int i, out int width)
    {
        char c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, s[i + 1]);
        }
        width = 1;
        return c;
    }

    /// <summary>
    /// Writes Python's <c>s.lower()</c> into <paramref name="buffer"/> (grown as needed) and returns its length. ASCII takes a
    /// table-free fast path; other code points use .NET's invariant simple mapping plus Python's two special cases.
    /// </summary>
    public static int Lower(string s, ref char[] buffer)
    {
        // İ lowers to two code points, so the output can be at most twice as long (every other mapping keeps the width).
        if (buffer.Length < 2 * s.Length) buffer = new char[Math.Max(2 * s.Length, 2 * buffer.Length)];
        int n = 0;
        for (int i = 0; i < s.Length;)
        {
            char c = s[i];
            if (c < 128)
            {
                buffer[n++] = c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;
                i++;
                continue;
            }
            int cp = CodePointAt(s, i, out int width);
            if (cp == 0x130)
            {
                buffer[n++] = 'i';
                buffer[n++] = '\u0307';
            }
            else if (cp == 0x3A3)
                buffer[n++] = IsFinalSigma(s, i) ? 'ς' : 'σ';
            else if (width == 1 && char.IsSurrogate(c))
                buffer[n++] = c;
            else
            {
                var lower = Rune.ToLowerInvariant(new Rune(cp));
                n += lower.EncodeToUtf16(buffer.AsSpan(n));
            }
            i += width;
        }
        return n;
    }

    /// <summary>Python's <c>s.lower()</c> as a string.</summary>
    public static string Lower(string s)
    {
        var buffer = new char[2 * s.Length];
        return new string(buffer, 0, Lower(s, ref buffer));
    }

    // Unicode's Final_Sigma context, as CPython's handle_capital_sigma:
    //   \p{cased} \p{case-ignorable}* Σ  not followed by  \p{case-ignorable}* \p{cased}
    private static bool IsFinalSigma(string s, int i)
    {
        int j = i - 1, c = 0;
        for (; j >= 0; j--)
        {
            if (char.IsLowSurrogate(s[j]) && j > 0 && char.IsHighSurrogate(s[j - 1])) j--;
            c = CodePointAt(s, j, out _);
            if (!IsCaseIgnorable(c)) break;
        }
        if (j < 0 || !IsCased(c)) return false;
        for (j = i + 1; j < s.Length;)
        {
            c = CodePointAt(s, j, out int width);
            if (!IsCaseIgnorable(c)) return !IsCased(c);
            j += width;
        }
        return true;
    }

    // Cased (as CPython's final-sigma test sees it): Lu, Ll, Lt and the Other_Lowercase / Other_Uppercase code points
    // that are not case-ignorable. The exceptions were measured from Python 3.11 by probing ("x" + "Σ").lower().
    private static bool IsCased(int cp) =>
        CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        || cp is 0xAA or 0xBA or (>= 0x2160 and <= 0x217F) or (>= 0x24B6 and <= 0x24E9)
            or (>= 0x1F130 and <= 0x1F149) or (>= 0x1F150 and <= 0x1F169) or (>= 0x1F170 and <= 0x1F189);

    // Case_Ignorable: Mn, Me, Cf, Lm, Sk and the Word_Break MidLetter / MidNumLet / Single_Quote characters.
    private static bool IsCaseIgnorable(int cp) =>
        CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || cp is 0x27 or 0x2E or 0x3A or 0xB7 or 0x387 or 0x55F or 0x5F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027
            or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;

    /// <summary>Python's string order: by code point (ordinal UTF-16 order, with surrogates moved above U+E000..U+FFFF).</summary>
    public static int CompareCodePoints(string? a, string? b)
    {
        if (ReferenceEquals(a, b)) return 0;
        if (a is null) return -1;
        if (b is null) return 1;
        int n = Math.Min(a.Length, b.Length);
        int k = a.AsSpan(0, n).CommonPrefixLength(b.AsSpan(0, n));
        if (k == n) return a.Length.CompareTo(b.Length);
        return Fixup(a[k]).CompareTo(Fixup(b[k]));

        // Surrogates (D800..DFFF) encode code points ≥ U+10000, so they sort after E000..FFFF.
        static int Fixup(char c) => c >= 0xD800 ? (c >= 0xE000 ? c - 0x800 : c + 0x2000) : c;
    }

    /// <summary>A comparer for <see cref="CompareCodePoints"/>.</summary>
    public static readonly IComparer<string> CodePointOrder = Comparer<string>.Create(CompareCodePoints);
}
