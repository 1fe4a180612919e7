import { IntersectionType } from '@nestjs/swagger';
import { LogReadQuery, PointInTimeQuery, StreamEventsQuery } from '#event-sourcing/http';

/** GET /accounts/{id}: a point in time, and the position a read replica must have replayed. */
export class AccountQueryDto extends IntersectionType(PointInTimeQuery, LogReadQuery) {}

/** GET /accounts/{id}/events: a page, and the position a read replica must have replayed. */
export class AccountEventsQueryDto extends IntersectionType(StreamEventsQuery, LogReadQuery) {}
