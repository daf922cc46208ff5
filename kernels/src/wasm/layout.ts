// Slot numbers of the i32 parameter blocks the TypeScript side writes and the wasm kernels read.
// This file is compiled twice: as TypeScript (kernels/src/wasm) and as AssemblyScript (imported by
// kernels/assembly), so the two sides cannot disagree. Keep it to `export const NAME = <integer>;`.

// ---- dense convolution (pack + GEMM) and the shared input packing of pooling / depthwise
export const C_N = 0;
export const C_IC = 1;
export const C_H = 2;
export const C_W = 3;
export const C_OC = 4;
export const C_OH = 5;
export const C_OW = 6;
export const C_G = 7;
export const C_ICG = 8;
export const C_OCG = 9;
export const C_SH = 10;
export const C_SW = 11;
export const C_PT = 12;
export const C_PL = 13;
/** Rows and row pitch of one packed phase plane (see kernels/assembly/pack.ts). */
export const C_PH = 14;
export const C_PW = 15;
/** How many row / column phases are packed, and the i32 lists of their offsets. */
export const C_NPA = 16;
export const C_NPB = 17;
export const C_PA_PTR = 18;
export const C_PB_PTR = 19;
export const C_X_PTR = 20;
export const C_Q_PTR = 21;
/** Bytes of packed input per image and per input channel. */
export const C_Q_IMG = 22;
export const C_Q_IC = 23;
export const C_OUT_PTR = 24;
export const C_W_PTR = 25;
export const C_BIAS_PTR = 26;
export const C_KOFF_PTR = 27;
export const C_K = 28;
export const C_RELU = 29;
/** Output positions (of the flat OH x PW grid) per parallel chunk, a multiple of the tile width. */
export const C_CHUNK_Q = 30;
export const C_NCHUNK = 31;
export const C_OCB = 32;
export const C_TILEBUF = 33;
export const C_TILEBUF_STRIDE = 34;
/** f32 bit pattern of the padding value (0 for conv and avg pool, -inf for max pool). */
export const C_PADVAL = 35;
/** Pooling: window size, dilation, avg divisor map pointer (f32 per flat position), max flag. */
export const C_KH = 36;
export const C_KW = 37;
export const C_DH = 38;
export const C_DW = 39;
export const C_DIV_PTR = 40;
/** Per-channel scale/shift pointers of the affine (batch-norm) kernel. */
export const C_SCALE_PTR = 41;
export const C_SHIFT_PTR = 42;
/** Channel multiplier of a depthwise conv (OC / IC). */
export const C_MULT = 43;
/** Dense GEMM: the output-channel blocks are split into this many parts, each a separate job. */
export const C_NOCS = 44;
/** Element-wise kernels: the function code and two f32 parameters (bit patterns). */
export const C_EW_FN = 45;
export const C_EW_A = 46;
export const C_EW_B = 47;
/** The activation kernel's function codes (C_EW_FN). */
export const ACT_CLAMP = 0;
export const ACT_LEAKY = 1;
export const ACT_HARDSWISH = 2;
export const ACT_HARDSIGMOID = 3;
export const ACT_SIGMOID = 4;
export const ACT_TANH = 5;
export const ACT_SILU = 6;
export const ACT_GELU = 7;
export const ACT_GELU_TANH = 8;
export const ACT_ELU = 9;
/** The same-shape binary kernel's codes (C_EW_FN): a + alpha·b (sub is alpha < 0), a·b, a / b. */
export const BIN_ADD = 0;
export const BIN_MUL = 1;
export const BIN_DIV = 2;
export const C_SLOTS = 48;

// ---- linear / matmul: Y[n, o] = sum_i X[n, i] * W[o, i] + b[o], batched over C_L_BATCH
export const L_N = 0;
export const L_IN = 1;
export const L_OUT = 2;
export const L_X_PTR = 3;
export const L_W_PTR = 4;
export const L_BIAS_PTR = 5;
export const L_Y_PTR = 6;
export const L_RELU = 7;
/** Output features per parallel chunk (a multiple of 4). */
export const L_CHUNK = 8;
export const L_NCHUNK = 9;
export const L_BATCH = 10;
/** Element strides between batch items of X, W and Y (W's is 0 when it is shared). */
export const L_XB = 11;
export const L_WB = 12;
export const L_YB = 13;
export const L_SLOTS = 16;

// ---- the micro-kernel tile: MR output channels x NR flat output positions
export const MR = 4;
export const NR = 8;
