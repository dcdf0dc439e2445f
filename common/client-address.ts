/**
 * The request header through which server/main.ts hands the consent app the
 * TCP peer address of each request. main.ts overwrites whatever a client
 * sent under this name, so, unlike X-Forwarded-For (which Next.js passes on
 * as the client wrote it), its value cannot be forged.
 */
export const SOCKET_ADDRESS_HEADER = "x-portico-socket-address";
