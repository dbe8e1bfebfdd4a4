using MtlEngine.Datasets;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Datasets;

/// <summary>
/// The shipped data sets: shapes, class counts and value ranges, and a few values checked against the raw
/// files in /work/shared/datasets (the first and last rows as they appear there).
/// </summary>
public class ShippedDatasetsTests
{
    private static double At(MtlTensor<double> t, int row, int column) =>
        t.CpuStorage.Data[t.Offset + row * t.Strides[0] + column * t.Strides[1]];

    private static double[] Row(MtlTensor<double> t, int row) =>
        Enumerable.Range(0, t.Dim(1)).Select(c => At(t, row, c)).ToArray();

    [Fact]
    public void Iris_has_150_flowers_in_three_species_of_50()
    {
        var iris = ShippedDatasets.LoadIris();
        Assert.Equal([150, 4], iris.Features.Shape.ToArray());
        Assert.Equal(["setosa", "versicolor", "virginica"], iris.ClassNames);
        Assert.Equal([50, 50, 50], iris.Tasks[0].CountPerClass());
        Assert.Equal([5.1, 3.5, 1.4, 0.2], Row(iris.Features, 0));   // first row of iris.csv
        Assert.Equal([5.9, 3.0, 5.1, 1.8], Row(iris.Features, 149)); // last row
        Assert.Equal(2, iris.Labels[149]);
        Assert.Equal(4, iris.FeatureNames.Count);
        Assert.Equal(0.1, iris.Features.CpuStorage.Data.Min());
        Assert.Equal(7.9, iris.Features.CpuStorage.Data.Max());
    }

    [Fact]
    public void Wine_has_178_wines_of_three_cultivars()
    {
        var wine = ShippedDatasets.LoadWine();
        Assert.Equal([178, 13], wine.Features.Shape.ToArray());
        Assert.Equal([59, 71, 48], wine.Tasks[0].CountPerClass());
        Assert.Equal(14.23, At(wine.Features, 0, 0));
        Assert.Equal(1065, At(wine.Features, 0, 12));
        Assert.Equal(13, wine.FeatureNames.Count);
    }

    [Fact]
    public void Breast_cancer_views_are_its_three_column_blocks()
    {
        var cancer = ShippedDatasets.LoadBreastCancer();
        Assert.Equal([569, 30], cancer.Features.Shape.ToArray());
        Assert.Equal(["malignant", "benign"], cancer.ClassNames);
        Assert.Equal([212, 357], cancer.Tasks[0].CountPerClass());
        Assert.Equal(["mean", "standard error", "worst"], cancer.Views.Select(v => v.Name));
        for (int v = 0; v < 3; v++)
        {
            var view = cancer.Views[v];
            Assert.Equal([569, 10], view.Features.Shape.ToArray());
            Assert.True(view.Features.IsContiguous);
            Assert.Equal(cancer.FeatureNames.Skip(10 * v).Take(10), view.FeatureNames);
            for (int i = 0; i < 569; i += 37)
                for (int j = 0; j < 10; j++)
                    Assert.Equal(At(cancer.Features, i, 10 * v + j), At(view.Features, i, j));
        }
        Assert.Equal(17.99, At(cancer.View("mean").Features, 0, 0));
        Assert.Equal(1.095, At(cancer.View("standard error").Features, 0, 0));
        Assert.Equal(25.38, At(cancer.View("worst").Features, 0, 0));
        Assert.Equal("mean radius", cancer.FeatureNames[0]);
        Assert.Equal("worst fractal dimension", cancer.FeatureNames[29]);
        Assert.Throws<KeyNotFoundException>(() => cancer.View("median"));
    }

    [Fact]
    public void Digits_are_8x8_images_with_three_consistent_tasks()
    {
        var digits = ShippedDatasets.LoadDigits();
        Assert.Equal([1797, 64], digits.Features.Shape.ToArray());
        Assert.Equal(["digit", "parity", "at least 5"], digits.Tasks.Select(t => t.Task));
        Assert.Equal([178, 182, 177, 183, 181, 182, 181, 179, 174, 180], digits.Tasks[0].CountPerClass());
        Assert.True(digits.Features.CpuStorage.Data.All(v => v is >= 0 and <= 16 && v == Math.Floor(v)), "pixels are integers 0..16");
        Assert.Equal(16, digits.Features.CpuStorage.Data.Max());
        var digit = digits.Task("digit").Labels;
        var parity = digits.Task("parity").Labels;
        var atLeastFive = digits.Task("at least 5").Labels;
        for (int i = 0; i < digit.Length; i++)
        {
            Assert.Equal(digit[i] % 2, parity[i]);
            Assert.Equal(digit[i] >= 5 ? 1 : 0, atLeastFive[i]);
        }
        // First row of digits.csv: 0,0,5,13,9,1,0,0, ... label 0.
        Assert.Equal([0, 0, 5, 13, 9, 1, 0, 0], Row(digits.Features, 0).Take(8));
        Assert.Equal(0, digit[0]);
        Assert.Equal("pixel_7_7", digits.FeatureNames[63]);
    }

    [Fact]
    public void Diabetes_has_442_patients_and_one_target()
    {
        var diabetes = ShippedDatasets.LoadDiabetes();
        Assert.Equal([442, 10], diabetes.Features.Shape.ToArray());
        Assert.Equal([442, 1], diabetes.Targets.Shape.ToArray());
        Assert.Equal([59, 2, 32.1, 101.0, 157, 93.2, 38.0, 4.0, 4.8598, 87], Row(diabetes.Features, 0));
        var target = diabetes.Target();
        Assert.Equal(151, target[0]);
        Assert.Equal(57, target[441]);
        Assert.All(target, y => Assert.InRange(y, 25, 346));
        Assert.Throws<ArgumentOutOfRangeException>(() => diabetes.Target(1));
    }

    [Fact]
    public void Linnerud_has_3_exercises_and_3_physiological_targets()
    {
        var linnerud = ShippedDatasets.LoadLinnerud();
        Assert.Equal([20, 3], linnerud.Features.Shape.ToArray());
        Assert.Equal([20, 3], linnerud.Targets.Shape.ToArray());
        Assert.Equal(["Chins", "Situps", "Jumps"], linnerud.FeatureNames);
        Assert.Equal(["Weight", "Waist", "Pulse"], linnerud.TargetNames);
        Assert.Equal([5, 162, 60], Row(linnerud.Features, 0));
        Assert.Equal([138, 33, 68], Row(linnerud.Targets, 19));
        Assert.Equal([191.0, 189, 193], linnerud.Target(0).Take(3));
    }

    [Fact]
    public void Emoji_pictures_names_and_labels_line_up()
    {
        var emoji = ShippedDatasets.LoadEmoji();
        Assert.Equal(1906, emoji.Count);
        Assert.Equal([1906, 32, 32, 3], emoji.Images.Shape.ToArray());
        Assert.Equal(1906, emoji.Names.Count);
        Assert.Equal(9, emoji.Category.ClassCount);
        Assert.Equal(98, emoji.Subcategory.ClassCount);
        Assert.Equal("Smileys & Emotion", emoji.Category.ClassNames[0]);
        Assert.Equal("face-smiling", emoji.Subcategory.ClassNames[0]);
        Assert.Equal(169, emoji.Category.CountPerClass()[0]);
        Assert.Equal(1906, emoji.Category.CountPerClass().Sum());
        Assert.All(emoji.Category.CountPerClass(), c => Assert.True(c > 0));
        Assert.All(emoji.Subcategory.CountPerClass(), c => Assert.True(c > 0));

        // Every subcategory lies inside one category.
        var parent = new Dictionary<int, int>();
        for (int i = 0; i < emoji.Count; i++)
        {
            int sub = emoji.Subcategory.Labels[i], cat = emoji.Category.Labels[i];
            Assert.Equal(cat, parent.TryGetValue(sub, out int p) ? p : parent[sub] = cat);
        }

        Assert.Equal("grinning face", emoji.Names[0]);
        Assert.Equal("grinning", emoji.ShortNames[0]);
        Assert.Equal("1F600", emoji.CodePoints[0]);
        Assert.Equal("\U0001F600", emoji.Text(0));
        Assert.Equal("\u263A\uFE0F", emoji.Text(19)); // 263A-FE0F, white smiling face

        // Pixels from images.npy: a white corner and the yellow of the face's centre.
        var pixels = emoji.Images.CpuStorage.Data;
        Assert.Equal([255, 255, 255], pixels[..3]);
        int centre = (16 * 32 + 16) * 3;
        Assert.Equal([255, 204, 77], pixels[centre..(centre + 3)]);

        var asSingle = emoji.ImagesAsSingle();
        Assert.Equal(emoji.Images.Shape.ToArray(), asSingle.Shape.ToArray());
        Assert.Equal(204 / 255f, asSingle.CpuStorage.Data[centre + 1]);
        Assert.Equal(0f, asSingle.CpuStorage.Data.Min());
        Assert.Equal(1f, asSingle.CpuStorage.Data.Max());
    }

    [Fact]
    public void WordNet_glosses_have_consistent_part_of_speech_and_supersense()
    {
        var wordnet = ShippedDatasets.LoadWordNetGlosses();
        Assert.Equal(117_659, wordnet.Count);
        Assert.Equal(["noun", "verb", "adjective", "adverb"], wordnet.PartOfSpeech.ClassNames);
        Assert.Equal([82_115, 13_767, 18_156, 3_621], wordnet.PartOfSpeech.CountPerClass());
        Assert.Equal(45, wordnet.Supersense.ClassCount);
        Assert.All(wordnet.Supersense.CountPerClass(), c => Assert.True(c > 0));
        Assert.Equal(51, wordnet.Supersense.CountPerClass()[3]); // noun.Tops

        // The supersense names its part of speech (adjective lexicographer files: adj.*).
        string[] prefix = ["noun.", "verb.", "adj.", "adv."];
        for (int i = 0; i < wordnet.Count; i++)
        {
            string supersense = wordnet.Supersense.ClassNames[wordnet.Supersense.Labels[i]];
            Assert.StartsWith(prefix[wordnet.PartOfSpeech.Labels[i]], supersense);
        }

        // First and last rows of glosses.tsv.
        Assert.Equal(1740, wordnet.Offsets[0]);
        Assert.Equal("entity", wordnet.Words[0]);
        Assert.Equal("that which is perceived or known or inferred to have its own distinct existence (living or nonliving)", wordnet.Glosses[0]);
        Assert.Equal("abstraction; abstract entity", wordnet.Words[2]);
        int last = wordnet.Count - 1;
        Assert.Equal(516492, wordnet.Offsets[last]);
        Assert.Equal("wrongfully", wordnet.Words[last]);
        Assert.EndsWith("\"people who were wrongfully imprisoned should be released\"", wordnet.Glosses[last]);
        Assert.Equal(wordnet.Count, wordnet.Glosses.Count());
    }

    [Fact]
    public void Catalog_lists_eight_data_sets_and_the_notice_is_embedded()
    {
        Assert.Equal(8, ShippedDatasets.Names.Count);
        string notice = ShippedDatasets.Notice();
        Assert.Contains("CC BY 4.0", notice);
        Assert.Contains("Princeton University", notice);
        Assert.Contains("Cal Henderson", notice);
    }

    [Fact]
    public void Label_sets_reject_labels_outside_the_classes()
    {
        var error = Assert.Throws<ArgumentException>(() => new LabelSet("t", [0, 2], ["a", "b"]));
        Assert.Contains("sample 1 has label 2", error.Message);
    }
}
