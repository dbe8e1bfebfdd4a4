namespace MtlEngine.Datasets;

/// <summary>The data sets shipped with MtlEngine.</summary>
public static class DatasetCatalog
{
}
