import { constants } from 'node:fs';
import { access, mkdir, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config.js';
import { HealthRegistry } from './health-registry.js';

/** Below this much free space a write of state or audit may fail: report not ready. */
export const MIN_FREE_BYTES = 64 * 1024 * 1024;

/** The start-up indicators: config loaded, state directory writable, disk space. */
@Injectable()
export class CoreHealthIndicators implements OnModuleInit {
  constructor(
    private readonly config: AppConfig,
    private readonly health: HealthIndicatorService,
    private readonly registry: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register('config', () => this.configLoaded());
    this.registry.register('state_dir', () => this.stateDirWritable());
    this.registry.register('disk', () => this.diskSpace());
  }

  private stateDir(): string {
    return resolve(this.config.baseDir, dirname(this.config.values.state.state_file));
  }

  private auditDir(): string {
    return resolve(this.config.baseDir, dirname(this.config.values.audit.audit_file));
  }

  configLoaded() {
    return this.health.check('config').up({ file: this.config.file ?? '(defaults)' });
  }

  async stateDirWritable() {
    const check = this.health.check('state_dir');
    const dir = this.stateDir();
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
      return check.up({ path: dir });
    } catch (err) {
      return check.down({
        path: dir,
        message: `not writable: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      });
    }
  }

  async diskSpace() {
    const check = this.health.check('disk');
    const paths = [...new Set([this.stateDir(), this.auditDir()])];
    const details: Record<string, number> = {};
    for (const path of paths) {
      try {
        const s = await statfs(path);
        const free = s.bavail * s.bsize;
        details[path] = free;
        if (free < MIN_FREE_BYTES) {
          return check.down({ path, free_bytes: free, message: `less than ${MIN_FREE_BYTES} bytes free` });
        }
      } catch (err) {
        return check.down({
          path,
          message: `cannot stat: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        });
      }
    }
    return check.up({ free_bytes: details });
  }
}
