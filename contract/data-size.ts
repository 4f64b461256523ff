import type { DataSpec } from "./program.js";

/** Samples in a data set, when the spec says (real data sets without `limit` use their split sizes). */
export function dataSetSize(d: DataSpec): number | undefined {
  switch (d.source) {
    case "sample":
      return d.vars[0]?.n;
    case "grid":
      return d.n ** d.axes.length;
    case "points":
      return Object.values(d.columns)[0]?.length;
    case "chebyshev":
    case "gaussian_mixture":
    case "gratings":
      return d.n;
    case "mnist":
    case "fashion_mnist":
      return d.limit ?? (d.split === "train" ? 60000 : 10000);
    case "cifar10":
      return d.limit ?? (d.split === "train" ? 50000 : 10000);
  }
}
