export { EventBus, type EventBusOptions, type SubscribeOptions, type Subscription } from './event-bus.ts';
export { EVENTS_CHANNEL, type ControlNotice } from './notice.ts';
export { streamEvents } from './stream-events.ts';
export { ormEventSource } from './orm-event-source.ts';
