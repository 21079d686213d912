export {
  TChannelSyncClient,
  SyncClientOperation,
  type TChannelSyncClientOptions,
  type SyncRequestOptions,
  type SyncArg,
} from './sync-client';
export { SyncFuture, type SyncResponse } from './sync-future';
