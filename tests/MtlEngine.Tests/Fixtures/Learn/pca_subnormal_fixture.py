# Writes nothing: prints scikit-learn's PCA of a small matrix scaled into the subnormal range (x * 2**-1070), the values
# PcaSubnormalTests holds our fit against. Run with /usr/bin/python3 (Debian's scikit-learn 1.2).
import numpy as np
from sklearn.decomposition import PCA

X = np.array([[1, 2, 0], [3, 5, 1], [4, 4, -2], [0, 1, 3], [2, -1, 1]], float)
p = PCA(svd_solver="full").fit(X * 2.0**-1070)
print("components_", p.components_.tolist())
print("singular_values_", p.singular_values_.tolist())
print("explained_variance_", p.explained_variance_.tolist())
# explained_variance_ratio_ is nan there (0 / 0 once the variances underflow); we report the scale-free ratios instead.
print("ratio of the unscaled X", PCA(svd_solver="full").fit(X).explained_variance_ratio_.tolist())
