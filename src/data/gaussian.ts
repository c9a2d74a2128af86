/**
 * Seeded standard normal draws by the ziggurat method (G. Marsaglia and W. W. Tsang, "The
 * Ziggurat Method for Generating Random Variables", Journal of Statistical Software 5(8), 2000:
 * their RNOR with 128 layers and its constants). About 99% of the draws cost one 32-bit
 * generator step, a table compare and a multiply (no log, sqrt or cos as Box-Muller needs),
 * which keeps `data.augment.noise` cheap beside a training step.
 *
 * One change to RNOR: the layer index, the sign and the magnitude come from separate bits of
 * the draw (RNOR reuses the low bits for both, a correlation found by J. A. Doornik, "An
 * Improved Ziggurat Method to Generate Normal Random Samples", 2005). The uniform bits are
 * mulberry32's (`createRandom`'s generator), so the same seed gives the same values everywhere.
 */

const LAYERS = 128;
/** Right edge of the base layer (where the tail begins) for 128 layers. */
const R = 3.442619855899;
/** Area of each layer under f(x) = exp(-x^2 / 2). */
const AREA = 9.91256303526217e-3;
/** The magnitude has 24 bits: |m + 0.5| < 2^24. */
const M = 2 ** 24;
const TWO_32 = 4294967296;

/** |m + 0.5| < K[i]: the point is inside layer i's rectangle under the curve; accept at once. */
const K = new Float64Array(LAYERS);
/** x = (m + 0.5) * W[i]. */
const W = new Float64Array(LAYERS);
/** F[i] = f(x_i), the height of layer i's lower edge. */
const F = new Float64Array(LAYERS);

{
  // Marsaglia and Tsang's zigset, with 2^24 for their 2^31.
  let dn = R;
  let tn = R;
  const q = AREA / Math.exp(-0.5 * dn * dn);
  K[0] = Math.floor((dn / q) * M);
  K[1] = 0;
  W[0] = q / M;
  W[LAYERS - 1] = dn / M;
  F[0] = 1;
  F[LAYERS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(AREA / dn + Math.exp(-0.5 * dn * dn)));
    K[i + 1] = Math.floor((dn / tn) * M);
    tn = dn;
    F[i] = Math.exp(-0.5 * dn * dn);
    W[i] = dn / M;
  }
}

/** A stream of standard normal values; the same seed gives the same stream. */
export class NormalStream {
  /** mulberry32's state, as an int32. */
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /**
   * xs[p] += scale * (the next value), for p in [from, end). The generator's state stays in a
   * local in the loop (a third of the time of a call per value); only the rare draws outside
   * the layers' rectangles leave it, through `rest`.
   */
  addTo(xs: Float32Array, from: number, end: number, scale: number): void {
    let state = this.state;
    for (let p = from; p < end; p++) {
      // mulberry32, as `createRandom` (without the division).
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), state | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const u = t ^ (t >>> 14);
      // Bits 0..6: the layer; bit 31: the sign; bits 7..30: the magnitude, so that
      // m + 0.5 is in (-2^24, 2^24), symmetric about 0.
      const i = u & (LAYERS - 1);
      const m = (u >> 7) + 0.5;
      if (Math.abs(m) < K[i]!) {
        xs[p] = xs[p]! + scale * (m * W[i]!);
        continue;
      }
      this.state = state;
      const value = this.rest(u);
      state = this.state;
      xs[p] = xs[p]! + scale * value;
    }
    this.state = state;
  }

  /** The value of a draw `u` outside its layer's rectangle: the wedge, the tail, or a new draw. */
  private rest(first: number): number {
    let u = first;
    for (;;) {
      const i = u & (LAYERS - 1);
      const m = (u >> 7) + 0.5;
      const x = m * W[i]!;
      if (Math.abs(m) < K[i]!) return x;
      if (i === 0) return m < 0 ? -this.tail() : this.tail();
      // The wedge between this layer's rectangle and the curve.
      if (F[i]! + this.uniform() * (F[i - 1]! - F[i]!) < Math.exp(-0.5 * x * x)) return x;
      u = this.bits();
    }
  }

  /** |x| beyond R (Marsaglia's tail method). */
  private tail(): number {
    for (;;) {
      const x = -Math.log(this.uniform()) / R;
      const y = -Math.log(this.uniform());
      if (y + y >= x * x) return R + x;
    }
  }

  /** A uniform in (0, 1), never 0 (it goes through a log). */
  private uniform(): number {
    return ((this.bits() >>> 0) + 0.5) / TWO_32;
  }

  /** mulberry32's next 32-bit value, as an int32. */
  private bits(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    const s = this.state;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return t ^ (t >>> 14);
  }
}
