import { Global, Module } from '@nestjs/common';
import { Clock, systemClock } from './domain/clock.js';
import { IdGenerator, uuidGenerator } from './domain/ids.js';

/** Side-effect boundaries every module shares: time and ids (replaced in tests). */
@Global()
@Module({
  providers: [
    { provide: Clock, useValue: systemClock },
    { provide: IdGenerator, useValue: uuidGenerator },
  ],
  exports: [Clock, IdGenerator],
})
export class CommonModule {}
