import { Global, Module } from '@nestjs/common';
import { InstanceHeartbeat } from './instance-heartbeat.js';
import { instanceRegistryProvider } from './instance-registry.provider.js';

/** The server processes sharing the state: heartbeats, the live list on `GET /`, the live metric. */
@Global()
@Module({
  providers: [instanceRegistryProvider, InstanceHeartbeat],
  exports: [InstanceHeartbeat],
})
export class InstancesModule {}
