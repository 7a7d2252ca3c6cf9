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
  @ApiProperty({ enum: ['file', 'memory'] }) state_backend!: string;
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
}
