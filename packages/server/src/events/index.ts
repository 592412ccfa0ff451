export { EventBus, type EventBusOptions, type SubscribeOptions, type Subscription } from './event-bus.ts';
export { EVENTS_CHANNEL } from './notice.ts';
export { ormEventSource } from './orm-event-source.ts';
export { appendEvent, appendEvents, listEvents, publishEphemeral, toEventJson, type EventInput } from './event-log.ts';
