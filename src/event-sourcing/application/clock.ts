import { Injectable } from '@nestjs/common';
import { uuidv7 } from './uuid-v7.js';

/** The time, injected so that domain code and tests never read the system clock themselves. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

/** New ids: UUIDv7, time-ordered, so B-tree indexes on them stay compact. */
@Injectable()
export class IdGenerator {
  next(): string {
    return uuidv7();
  }
}
