using System.Globalization;
using System.Text;

namespace MtlEngine.Data;

/// <summary>
/// Makes text from a file safe to show on a terminal: every character that does not print (C0 and C1 controls such as
/// ESC, VT and U+0085 NEXT LINE, DEL, format characters such as the bidirectional overrides, line and paragraph
/// separators, lone surrogates and unassigned code points) becomes a visible escape (<c>\x1b</c>, <c>\u0085</c>).
/// </summary>
public static class Printable
{
    /// <summary>True when <paramref name="text"/> has nothing that <see cref="Escape"/> would change.</summary>
    public static bool IsPrintable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (Rune rune in text.EnumerateRunes())
            if (!Prints(rune)) return false;
        return !HasLoneSurrogate(text);
    }

    /// <summary><paramref name="text"/> with every non-printing character written as <c>\xNN</c> (below U+0100) or <c>\uNNNN</c>.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsPrintable(text)) return text;
        var builder = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var rune = new Rune(c, text[i + 1]);
                if (Prints(rune)) builder.Append(c).Append(text[i + 1]);
                else builder.Append(CultureInfo.InvariantCulture, $"\\U{rune.Value:x8}");
                i++;
            }
            else if (char.IsSurrogate(c) || !Prints(new Rune(c)))
                builder.Append(c < 0x100 ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}");
            else builder.Append(c);
        }
        return builder.ToString();
    }

    private static bool Prints(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse => false,
        _ => true,
    };

    private static bool HasLoneSurrogate(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }
}
