import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One result of a gate check: what blocks (or warns), where, and why. */
export class FindingDto {
  @ApiProperty({ example: 'plan_has_acceptance_criteria' }) check!: string;
  @ApiProperty({ enum: ['blocking', 'warning', 'info'] }) severity!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional() gate?: string;
  @ApiPropertyOptional() artifact?: string;
  @ApiPropertyOptional({ description: 'JSON pointer inside the artifact' }) pointer?: string;
  @ApiPropertyOptional() detail?: string;
  @ApiPropertyOptional({
    description: '`approval_required`: digest of the artifacts awaiting approval (sha256:…)',
  })
  digest?: string;
}
