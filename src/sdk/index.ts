/** The agent SDK: `import { AgentClient } from 'workflow-orchestrator/sdk'`. */
export { AgentClient, type AgentClientOptions, type HeartbeatOptions } from './agent-client.js';
export {
  AuthError,
  ConflictError,
  type ErrorBody,
  NotFoundError,
  OrchestratorError,
  OrchestratorUnavailableError,
  StalePhaseTokenError,
  ToolForbiddenError,
  TransitionBlockedError,
} from './errors.js';
export { type RetryOptions } from './retry.policy.js';
export type * from './sdk.types.js';
export { type TokenFileContent } from './token-file.js';
