namespace MtlEngine.Datasets;

/// <summary>The column names of the tabular data sets (the files hold none; these are scikit-learn's).</summary>
internal static class FeatureNames
{
    public static string[] Iris => ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];

    public static string[] Wine =>
    [
        "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
        "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280/od315_of_diluted_wines", "proline",
    ];

    private static string[] NucleusMeasurements =>
    [
        "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points",
        "symmetry", "fractal dimension",
    ];

    /// <summary>"mean radius" ... "radius error" ... "worst radius" ...: the three views of ten measurements.</summary>
    public static string[] BreastCancer =>
    [
        .. NucleusMeasurements.Select(m => "mean " + m),
        .. NucleusMeasurements.Select(m => m + " error"),
        .. NucleusMeasurements.Select(m => "worst " + m),
    ];

    /// <summary>"pixel_r_c" for row r and column c of the 8×8 image.</summary>
    public static string[] Digits => Enumerable.Range(0, 64).Select(i => $"pixel_{i / 8}_{i % 8}").ToArray();

    /// <summary>Age, sex, body-mass index, average blood pressure and six blood serum measurements (s1..s6).</summary>
    public static string[] Diabetes => ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"];
}
