import { type ArgumentMetadata, ValidationPipe, type ValidationPipeOptions } from '@nestjs/common';
import { stripProtoKeys } from '@nestjs/common/utils/strip-proto-keys.util.js';
import { plainToInstance } from 'class-transformer';
import { fastCheckFor } from './dto-fast-check.js';

/**
 * Nest's ValidationPipe with a fast path for valid input: class-transformer still builds the DTO
 * instance (so `@Type`/`@Transform` conversions work as before), then the DTO's rules, compiled
 * once (`dto-fast-check.ts`), accept it without running class-validator. Input the compiled check
 * does not accept — invalid, or a DTO it cannot compile — goes through ValidationPipe unchanged,
 * so every error (status, code, message) is class-validator's, exactly as before.
 */
export class FastValidationPipe extends ValidationPipe {
  constructor(private readonly pipeOptions: ValidationPipeOptions) {
    super(pipeOptions);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype } = metadata;
    if (
      metatype &&
      this.pipeOptions.transform === true &&
      this.toValidate(metadata) &&
      isPlainObject(value)
    ) {
      const check = fastCheckFor(metatype);
      if (check) {
        stripProtoKeys(value);
        const entity = plainToInstance(metatype, value) as unknown;
        if (entity instanceof metatype && check(entity)) return entity;
      }
    }
    return super.transform(value, metadata);
  }
}

function isPlainObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
