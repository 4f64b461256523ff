/**
 * Mean pairwise cosines of many vectors without the m × m matrix (Liu et al. 2021, P2/P3).
 *
 * With unit vectors f̂_i = f_i/‖f_i‖, Σ_{i≠j} cos(f_i, f_j) = ‖Σ_i f̂_i‖² − Σ_i ‖f̂_i‖² = ‖Σ f̂‖² − m. So
 * one float64 sum of unit vectors per class gives every mean:
 * - all pairs: (‖Σ f̂‖² − m) / (m(m−1));
 * - same-class pairs, pooled (each pair weighs the same): Σ_c(‖Σ_c f̂‖² − m_c) / Σ_c m_c(m_c−1);
 * - different-class pairs: the all-pairs sum minus the same-class sum, (‖Σ f̂‖² − Σ_c‖Σ_c f̂‖²) / (m² − Σ_c m_c²).
 * A zero vector has no direction: it is left out (m counts the others) and counted in `zero`.
 * Vectors arrive as float32 rows; norms, unit vectors and sums are float64, and "− m" subtracts the
 * accumulated Σ‖f̂_i‖² (1 each up to rounding), so a class of one row contributes exactly 0.
 */
export type PairKind = "all" | "same_class" | "different_class";

export class DirectionSums {
  private readonly perClass = new Map<number, { sum: Float64Array; count: number; self: number }>();
  /** Rows whose vector is exactly zero (left out). */
  zero = 0;

  constructor(readonly width: number) {}

  /** Adds row `values[offset, offset + width)` of class `cls` (any number when classes are not used). */
  add(values: ArrayLike<number>, offset: number, cls: number): void {
    let squares = 0;
    for (let k = 0; k < this.width; k++) squares += values[offset + k]! * values[offset + k]!;
    if (squares === 0) {
      this.zero++;
      return;
    }
    const norm = Math.sqrt(squares);
    let entry = this.perClass.get(cls);
    if (!entry) this.perClass.set(cls, (entry = { sum: new Float64Array(this.width), count: 0, self: 0 }));
    let unitSquares = 0;
    for (let k = 0; k < this.width; k++) {
      const unit = values[offset + k]! / norm;
      entry.sum[k]! += unit;
      unitSquares += unit * unit;
    }
    entry.self += unitSquares;
    entry.count++;
  }

  /** The mean cosine over the distinct pairs of `kind`; NaN when there is none. */
  meanCosine(kind: PairKind): number {
    const total = new Float64Array(this.width);
    let m = 0;
    let self = 0; // Σ_i ‖f̂_i‖²
    let sameSum = 0;
    let samePairs = 0;
    let sameSquares = 0; // Σ_c ‖Σ_c f̂‖²
    let classSquares = 0; // Σ_c m_c²
    for (const { sum, count, self: classSelf } of this.perClass.values()) {
      const squared = squaredNorm(sum);
      sameSum += squared - classSelf;
      self += classSelf;
      samePairs += count * (count - 1);
      sameSquares += squared;
      classSquares += count * count;
      for (let k = 0; k < this.width; k++) total[k]! += sum[k]!;
      m += count;
    }
    const allSquared = squaredNorm(total);
    switch (kind) {
      case "all":
        return ratio(allSquared - self, m * (m - 1));
      case "same_class":
        return ratio(sameSum, samePairs);
      case "different_class":
        return ratio(allSquared - sameSquares, m * m - classSquares);
    }
  }
}

function squaredNorm(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return s;
}

function ratio(sum: number, pairs: number): number {
  return pairs > 0 ? sum / pairs : Number.NaN;
}
