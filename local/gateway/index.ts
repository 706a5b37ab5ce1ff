/** The offline API Gateway WebSocket API. */
export { apiGatewayLimits, startGateway, type Gateway, type GatewayFaults, type GatewayLimits, type GatewayOptions, type GatewayRoute } from "./gateway.js";
