import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { packageInfo } from '../common/package-info.js';
import { InstanceInfo } from './instance.js';
import { StatusRegistry } from './status-registry.js';
import { type StatusDto } from './dto/status.dto.js';

@Injectable()
export class StatusService {
  constructor(
    private readonly config: AppConfig,
    private readonly instance: InstanceInfo,
    private readonly registry: StatusRegistry,
  ) {}

  async status(): Promise<StatusDto> {
    const now = Date.now();
    return {
      service: packageInfo.name,
      version: packageInfo.version,
      instance_id: this.instance.id,
      pid: this.instance.pid,
      started_at: this.instance.startedAt.toISOString(),
      uptime_seconds: Math.round((now - this.instance.startedAt.getTime()) / 1000),
      environment: process.env.NODE_ENV ?? 'development',
      config_file: this.config.file,
      state_backend: this.config.values.state.backend,
      ...(await this.registry.collect()),
    };
  }
}
