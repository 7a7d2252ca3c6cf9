import { ApiProperty } from '@nestjs/swagger';

/** The one error body (error-body.ts), as the OpenAPI document names it for every 4xx/5xx answer. */
export class ErrorBodyDto {
  @ApiProperty({ example: 403 }) statusCode!: number;
  @ApiProperty({ example: 'Forbidden' }) error!: string;
  @ApiProperty({ example: 'the phase token is stale (…)' }) message!: string;
  @ApiProperty({
    example: 'the phase token is stale (…)',
    description:
      'Same text as `message`, under the name FastAPI clients (the earlier orchestrator’s SDK) read',
  })
  detail!: string;
  @ApiProperty({ example: 'stale_phase_token', description: 'Stable code; see docs/API.md "Errors"' })
  code!: string;
}
