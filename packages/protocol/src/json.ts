/** Any value JSON can carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object, as carried in event properties and user attributes. */
export type JsonObject = { [key: string]: JsonValue };
