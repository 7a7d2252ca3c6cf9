import { type ArgumentMetadata, ValidationPipe, type ValidationPipeOptions } from '@nestjs/common';
import { stripProtoKeys } from '@nestjs/common/utils/strip-proto-keys.util.js';
import { createRequire } from 'node:module';
import { type ClassConstructor, plainToInstance } from 'class-transformer';
import { fastCheckFor } from './dto-fast-check.js';

type Dto = ClassConstructor<object>;

/** class-transformer's metadata (the same CommonJS module instance its index loads). */
const { defaultMetadataStorage } = createRequire(import.meta.url)('class-transformer/cjs/storage.js') as {
  defaultMetadataStorage: unknown;
};

/**
 * Nest's ValidationPipe with a fast path for valid input: the DTO instance is built as
 * class-transformer builds it (by class-transformer itself when the DTO has `@Type`, `@Transform`,
 * `@Expose` or `@Exclude` metadata, so conversions work as before; else `new Dto()` plus the
 * body's own keys, which is what class-transformer does without metadata), then the DTO's rules,
 * compiled once (`dto-fast-check.ts`), accept it without running class-validator. Input the
 * compiled check does not accept — invalid, or a DTO it cannot compile — goes through
 * ValidationPipe unchanged, so every error (status, code, message) is class-validator's.
 */
export class FastValidationPipe extends ValidationPipe {
  constructor(private readonly pipeOptions: ValidationPipeOptions) {
    super(pipeOptions);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype as Dto | undefined;
    if (
      metatype &&
      this.pipeOptions.transform === true &&
      this.toValidate(metadata) &&
      isPlainObject(value)
    ) {
      const check = fastCheckFor(metatype);
      if (check) {
        stripProtoKeys(value);
        const entity = transformed(metatype)
          ? (plainToInstance(metatype, value) as unknown)
          : Object.assign(new metatype(), value);
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

const TRANSFORMER_MAPS = ['_typeMetadatas', '_transformMetadatas', '_exposeMetadatas', '_excludeMetadatas'];
const withTransformerMetadata = new WeakMap<Dto, boolean>();

/** Does class-transformer hold any metadata for `dto` or a class it extends? (cached) */
function transformed(dto: Dto): boolean {
  let known = withTransformerMetadata.get(dto);
  if (known === undefined) {
    const storage = defaultMetadataStorage as unknown as Record<string, unknown>;
    const maps = TRANSFORMER_MAPS.map((name) => storage[name]);
    known = true; // if class-transformer's storage ever looks different, it always runs
    if (maps.every((m) => m instanceof Map)) {
      known = false;
      for (
        let c: unknown = dto;
        typeof c === 'function' && c !== Function.prototype;
        c = Object.getPrototypeOf(c)
      )
        if ((maps as Map<unknown, unknown>[]).some((m) => m.has(c))) known = true;
    }
    withTransformerMetadata.set(dto, known);
  }
  return known;
}
