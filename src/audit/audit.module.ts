import { dirname, resolve } from 'node:path';
import {
  Global,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Clock } from '../common/domain/clock.js';
import { AppConfig } from '../config/app-config.js';
import { SigningSecret } from '../config/signing-secret.js';
import { HealthRegistry } from '../health/health-registry.js';
import { StateRepository } from '../state/state.repository.js';
import { BackendDatabase } from '../database/database.module.js';
import { InstanceInfo } from '../status/instance.js';
import { AuditController } from './audit.controller.js';
import { AuditMetrics } from './audit-metrics.js';
import { AuditStore } from './audit.store.js';
import { AuditTrail } from './audit-trail.js';
import { openAuditStore } from './open-audit-store.js';
import { auditAnchorPath } from './anchor/anchor-path.js';
import { resolveAuditSigner } from './signing/audit-signing-key.js';

/** Adds the `audit` readiness indicator and closes the log (flushing pending entries) last. */
@Injectable()
export class AuditLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly store: AuditStore,
    private readonly registry: HealthRegistry,
    private readonly database: BackendDatabase,
  ) {}

  onModuleInit(): void {
    this.registry.registerStore('audit', () => this.store.health());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    await this.database.shared?.release();
  }
}

@Global()
@Module({
  controllers: [AuditController],
  providers: [
    AuditMetrics,
    {
      provide: AuditStore,
      // The state store opens first: a start it refuses (damaged state) must not cut the log's
      // first checkpoint off from its anchor by exiting while the anchor is being written.
      inject: [AppConfig, SigningSecret, Clock, AuditMetrics, StateRepository, BackendDatabase, InstanceInfo],
      useFactory: (
        config: AppConfig,
        secret: SigningSecret,
        clock: Clock,
        metrics: AuditMetrics,
        _state: StateRepository,
        database: BackendDatabase,
        instance: InstanceInfo,
      ) => {
        const logger = new Logger('AuditLog');
        const backend = config.values.state.backend;
        // Both durable backends sign checkpoints; the key defaults to the state directory (see
        // resolveAuditSigner), which on postgres must hold the same key on every instance.
        const keys = backend === 'file' || backend === 'postgres' ? resolveAuditSigner(config) : null;
        for (const notice of keys?.notices ?? []) logger.log(notice);
        for (const warning of keys?.warnings ?? []) logger.warn(warning);
        if (keys)
          logger.log(`audit checkpoints are signed with key ${keys.signer.keyId} (${keys.signer.source})`);
        return openAuditStore({
          config: config.values.audit,
          baseDir: config.baseDir,
          backend,
          // Its share of the pool is given back by AuditLifecycle once the log is closed.
          pool: database.shared?.use(),
          instanceId: instance.id,
          clock,
          // Belt and braces: the literal secrets are scrubbed from entries whatever key holds them.
          secrets: [secret.reveal(), ...secret.revealPrevious()],
          onWarning: (warning) => logger.warn(`${warning.code}: ${warning.message}`),
          ownedDir:
            config.values.state.backend === 'file'
              ? dirname(resolve(config.baseDir, config.values.state.state_file))
              : null,
          onWrite: (write) => {
            metrics.writeSeconds.observe(write.seconds);
            metrics.entries.inc(write.entries);
          },
          signer: keys?.signer,
          previousKeys: keys?.previousKeys,
          anchorFile: keys && backend === 'file' ? auditAnchorPath(config) : undefined,
          // The export of each anchor: a log line and a metric, seen outside this host.
          onCheckpoint: (anchor) => {
            metrics.anchoredSeq.set(anchor.seq);
            logger.log(
              `audit checkpoint seq=${anchor.seq} hash=${anchor.hash} key=${anchor.checkpoint.payload.key_id} pruned_through=${anchor.checkpoint.payload.pruned_through_seq}`,
            );
          },
        });
      },
    },
    AuditTrail,
    AuditLifecycle,
  ],
  exports: [AuditStore, AuditTrail],
})
export class AuditModule {}
