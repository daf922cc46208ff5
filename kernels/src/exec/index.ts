// Public API of the graph executor (platform-neutral: no file system, no threads of its own).
export { referenceBackend, type Backend, type NodeContext } from './backend';
export { planGraph, unsupportedMessage, describeNode, nodeRef, bytesPerElement, DEFAULT_BUDGET_BYTES, type ExecPlan, type NodeRef, type PlanOptions, type PlanResult, type Refusal } from './plan';
export { runGraph, type RunOptions, type RunResult, type NodeResult, type NodeInfo, type NonFinite } from './run';
export { prepareWeights, loadWeights, defaultWeight, layerKind, WeightCache, WeightsError, type PreparedWeights, type WeightSource } from './weights';
export { randomInputs, checkInputs } from './inputs';
export { tensorStats, type TensorStats } from './stats';
export { moduleCalls, type ModuleCall } from './calls';
export { wasmExecBackend, type WasmExecBackend } from './wasmBackend';
