import 'reflect-metadata';
import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, ValidateNested, validate } from 'class-validator';
import fc from 'fast-check';
import { EventQueryDto } from '../../events/dto/event-query.dto.js';
import { CreateTaskDto } from '../../tasks/dto/operator-requests.dto.js';
import { ToolRequestDto } from '../../tools/dto/tool-request.dto.js';
import { fastCheckFor } from './dto-fast-check.js';
import { FastValidationPipe } from './fast-validation.pipe.js';

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, transform: true } as const;
const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

class Inner {
  @IsString() name!: string;
}
class WithNested {
  @ValidateNested() @Type(() => Inner) inner!: Inner;
}
class WithEach {
  @IsString({ each: true }) tags!: string[];
}
class Paging {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
}
class NamedPaging extends Paging {
  @IsOptional() @IsString() name?: string;
}

/** Whatever ValidationPipe throws or answers, as a comparable value. */
async function outcome(pipe: ValidationPipe, value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
  try {
    return { ok: await pipe.transform(structuredClone(value), metadata) };
  } catch (error) {
    return { error: error instanceof BadRequestException ? error.getResponse() : String(error) };
  }
}

describe('fastCheckFor', () => {
  it('compiles the DTOs built from the rules it knows', () => {
    expect(fastCheckFor(ToolRequestDto)).not.toBeNull();
    expect(fastCheckFor(EventQueryDto)).not.toBeNull();
  });

  it('leaves nested validation and `each` rules to class-validator', () => {
    expect(fastCheckFor(WithNested)).toBeNull();
    expect(fastCheckFor(WithEach)).toBeNull();
  });

  it('never accepts what class-validator refuses (random tool requests)', async () => {
    const check = fastCheckFor(ToolRequestDto)!;
    const value = fc.oneof(
      fc.string({ maxLength: 140 }),
      fc.integer(),
      fc.constant(null),
      fc.object(),
      fc.array(fc.string()),
    );
    const request = fc.record(
      {
        task_id: value,
        phase_token: value,
        tool_name: fc.oneof(value, fc.constantFrom('read_files', 'a b', '')),
        args: value,
        extra: value,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(request, async (plain) => {
        const entity = Object.assign(new ToolRequestDto(), plain);
        if (!check(entity)) return;
        expect(await validate(entity, { whitelist: true, forbidNonWhitelisted: true })).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('FastValidationPipe', () => {
  const fast = new FastValidationPipe(OPTIONS);
  const slow = new ValidationPipe(OPTIONS);

  it('answers a valid body with the same DTO instance ValidationPipe builds', async () => {
    const valid = { task_id: 't-1', phase_token: 'p', tool_name: 'read_files', args: { paths: ['a'] } };
    const answer = await fast.transform(structuredClone(valid), body(ToolRequestDto));
    expect(answer).toBeInstanceOf(ToolRequestDto);
    expect(answer).toEqual(await slow.transform(structuredClone(valid), body(ToolRequestDto)));
  });

  it('keeps class-transformer conversions on query DTOs', async () => {
    const query: ArgumentMetadata = { type: 'query', metatype: Paging };
    expect(await fast.transform({ limit: '7' }, query)).toEqual(Object.assign(new Paging(), { limit: 7 }));
    expect(await outcome(fast, { limit: 'x' }, query)).toEqual(await outcome(slow, { limit: 'x' }, query));
    // @Type on a class it extends counts too.
    const inherited: ArgumentMetadata = { type: 'query', metatype: NamedPaging };
    expect(await fast.transform({ limit: '7', name: 'n' }, inherited)).toEqual(
      Object.assign(new NamedPaging(), { limit: 7, name: 'n' }),
    );
  });

  it('refuses exactly as ValidationPipe does, for every DTO and input', async () => {
    const inputs: [ArgumentMetadata, unknown][] = [
      [body(ToolRequestDto), {}],
      [body(ToolRequestDto), { task_id: 't', phase_token: 'p', tool_name: 'bad name!' }],
      [body(ToolRequestDto), { task_id: 't', phase_token: 'p', tool_name: 'x', args: [] }],
      [body(ToolRequestDto), { task_id: 't', phase_token: 'p', tool_name: 'x', sneaky: 1 }],
      [body(ToolRequestDto), { task_id: 'x'.repeat(129), phase_token: 'p', tool_name: 'x' }],
      [body(ToolRequestDto), [1, 2]],
      [body(ToolRequestDto), 'text'],
      [body(ToolRequestDto), undefined],
      [body(CreateTaskDto), { title: 3 }],
      [body(WithNested), { inner: { name: 1 } }],
      [body(WithEach), { tags: ['a', 2] }],
      [{ type: 'query', metatype: EventQueryDto }, { limit: '0' }],
    ];
    for (const [metadata, value] of inputs)
      expect(await outcome(fast, value, metadata)).toEqual(await outcome(slow, value, metadata));
  });

  it('strips prototype keys from a body it accepts, as ValidationPipe does', async () => {
    const value = JSON.parse(
      '{"task_id":"t","phase_token":"p","tool_name":"x","args":{"constructor":"c","prototype":1,"a":2}}',
    );
    const answer = (await fast.transform(value, body(ToolRequestDto))) as ToolRequestDto;
    expect(answer.args).toEqual({ a: 2 });
  });
});
