export { VisitError, InvalidStateError, type VisitErrorCode } from './errors.js';
export {
  createVisitTokenIssuer,
  verifyVisitToken,
  type VisitRole,
  type VisitTokenClaims,
  type VisitTokenIssuer,
  type VisitTokenIssuerOptions,
  type IssueVisitTokenInput,
  type VisitTokenKey,
  type VisitTokenVerifyKey,
} from './tokens.js';
export {
  createSfuService,
  type SfuService,
  type SfuServiceOptions,
  type SfuStatus,
  type SfuWorkerStatus,
} from './service.js';
export { startSfuNode, type SfuNode, type SfuNodeOptions } from './sfu-node.js';
export {
  VisitEventPublisher,
  visitEventStream,
  type RelayedVisitEvent,
  type VisitEventPublisherOptions,
} from './event-publisher.js';
export {
  VisitEventConsumer,
  type RelayedVisitEventHandler,
  type VisitEventConsumerOptions,
} from './event-consumer.js';
export { NodeRegistry, placeVisit, type SfuNodeInfo, type VisitPlacement } from './placement.js';
export type {
  VisitEvent,
  VisitAuditEvent,
  VisitAuditAction,
  VisitEventSink,
  VisitAuditSink,
  LeaveReason,
} from './visit-events.js';
export { findWorkerBinary, BUILD_WORKER_COMMAND, type WorkerBinary } from './worker-binary.js';
export { verifyWorkerBinary } from './worker-verify.js';
export {
  reportMissingMedia,
  mediaRequired,
  REQUIRE_MEDIA_ENV,
  MediaPrerequisiteError,
  type PrerequisiteTest,
} from './media-prerequisite.js';
export type { MediaNetworkOptions } from './worker-pool.js';
export type { VisitHandshakeAuth } from './signaling.js';
export * from './vitals-feed.js';
