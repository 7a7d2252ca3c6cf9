import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class StatusDto {
  @ApiProperty({ example: 'workflow-orchestrator' }) service!: string;
  @ApiProperty({ example: '0.1.0' }) version!: string;
  @ApiProperty({ description: 'Unique id of this server process' }) instance_id!: string;
  @ApiProperty() pid!: number;
  @ApiProperty({ format: 'date-time' }) started_at!: string;
  @ApiProperty({ description: 'Seconds since start' }) uptime_seconds!: number;
  @ApiProperty({ enum: ['development', 'production', 'test'] }) environment!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Config file in use; null on defaults' })
  config_file!: string | null;
  @ApiProperty({ enum: ['file', 'memory', 'postgres'] }) state_backend!: string;
  @ApiPropertyOptional({ description: 'Default workflow name, version and enforcement mode' })
  workflow?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Tasks by status' })
  tasks?: Record<string, number>;
  @ApiPropertyOptional({
    description:
      'How commands run: mode (bubblewrap | none), available (false: commands are refused, reason says why), limits_scope (cgroup | rlimit)',
    example: { mode: 'bubblewrap', available: true, limits_scope: 'rlimit' },
  })
  sandbox?: Record<string, unknown>;
  @ApiPropertyOptional({
    description:
      "The server processes sharing this state, as of this one's last heartbeat (every heartbeat_seconds): " +
      'self, live (count, itself included), peers (id, host, pid, version, started_at, seen_at), and who ' +
      'numbered the newest events (events_ordered_by) and sealed the newest audit entries (audit_sealed_by): ' +
      'with postgres every instance orders its own batches, one at a time under the head row lock. With the ' +
      'file and memory backends the only instance is this one.',
    example: {
      self: 'host-a-4242-1a2b3c4d',
      live: 2,
      heartbeat_seconds: 5,
      peers: [
        {
          id: 'host-a-4242-1a2b3c4d',
          host: 'host-a',
          pid: 4242,
          version: '0.1.0',
          started_at: '2026-12-03T08:00:00.000Z',
          seen_at: '2026-12-03T09:00:00.000Z',
        },
      ],
      events_ordered_by: { instance_id: 'host-a-4242-1a2b3c4d', at: '2026-12-03T09:00:00.000Z' },
      audit_sealed_by: { instance_id: 'host-b-77-9f8e7d6c', at: '2026-12-03T08:59:59.000Z' },
    },
  })
  instances?: Record<string, unknown>;
}
