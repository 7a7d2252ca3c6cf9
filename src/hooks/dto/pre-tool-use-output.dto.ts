import { ApiProperty } from '@nestjs/swagger';

export class HookSpecificOutputDto {
  @ApiProperty({ enum: ['PreToolUse'] }) hookEventName!: 'PreToolUse';
  @ApiProperty({ enum: ['allow', 'deny'] }) permissionDecision!: 'allow' | 'deny';
  @ApiProperty({ description: 'Names the phase and the rule that decided' })
  permissionDecisionReason!: string;
}

/** The answer Claude Code's PreToolUse HTTP hook expects. */
export class PreToolUseOutputDto {
  @ApiProperty({ type: HookSpecificOutputDto }) hookSpecificOutput!: HookSpecificOutputDto;
}
