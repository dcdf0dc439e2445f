export { clientAddress, normalizeAddress } from "@/common/client-address.ts";
