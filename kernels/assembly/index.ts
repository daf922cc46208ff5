// The kernel module's exports. Every parallel job has the signature (params, tile, thread): `params`
// points at an i32 block laid out as kernels/src/wasm/layout.ts says, `tile` is the unit of work the
// pool hands out, `thread` selects the caller's (0) or a worker's private scratch.
export { peak_madd } from './peak';
export { conv_pack } from './pack';
export { conv_gemm } from './gemm';
export { dw_conv } from './depthwise';
export { pool2d, pool2x2 } from './pool';
export { linear } from './linear';
export { affine } from './elementwise';
export { moments, row_affine } from './norm';
export { stats } from './stats';
export { activation, binary } from './activation';
export { softmax } from './softmax';
export { resample } from './resample';
export { strided } from './strided';
