/** Squared Mahalanobis distance of x from mean under the inverse covariance. */
export function mahalanobis(x: number[], mean: number[], invCov: number[][]): number {
  const d = x.map((v, i) => v - mean[i]);
  let s = 0;
  for (let i = 0; i < d.length; i++) {
    let row = 0;
    for (let j = 0; j < d.length; j++) row += invCov[i][j] * d[j];
    s += d[i] * row;
  }
  return s;
}

/** Mean vector and covariance of rows; a small ridge keeps the inverse defined for flat features. */
export function meanCov(rows: number[][]): { mean: number[]; cov: number[][] } {
  const n = rows.length;
  const f = rows[0].length;
  const mean = new Array<number>(f).fill(0);
  for (const r of rows) for (let j = 0; j < f; j++) mean[j] += r[j] / n;
  const cov = Array.from({ length: f }, () => new Array<number>(f).fill(0));
  for (const r of rows) for (let i = 0; i < f; i++) for (let j = 0; j < f; j++) cov[i][j] += ((r[i] - mean[i]) * (r[j] - mean[j])) / Math.max(1, n - 1);
  for (let i = 0; i < f; i++) cov[i][i] += 1e-6 + 1e-3 * cov[i][i];
  return { mean, cov };
}

/** Gauss-Jordan inverse with partial pivoting. */
export function invert(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    if (Math.abs(a[p][c]) < 1e-12) throw new Error("the healthy window's covariance is singular");
    [a[c], a[p]] = [a[p], a[c]];
    const piv = a[c][c];
    for (let j = 0; j < 2 * n; j++) a[c][j] /= piv;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const k = a[r][c];
      if (k !== 0) for (let j = 0; j < 2 * n; j++) a[r][j] -= k * a[c][j];
    }
  }
  return a.map((row) => row.slice(n));
}
