// Source of the CloudFront Function (cloudfront-js-2.0, viewer request) that keeps /metrics off the internet and lets
// /dashboard through only from the given viewer IPv4 ranges. Event and response shapes: CloudFront Developer Guide,
// "CloudFront Functions event structure" (event.request.uri, event.viewer.ip; a returned response object short-circuits).

function cidrList(cidrs: readonly string[]): Array<[number, number]> {
  return cidrs.map((cidr) => {
    const [ip, bits] = cidr.split("/") as [string, string];
    const n = ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
    return [n, Number(bits)];
  });
}

export function edgeGuardSource(dashboardAllowedCidrs: readonly string[]): string {
  return `var allowed = ${JSON.stringify(cidrList(dashboardAllowedCidrs))};
function ipv4(ip) {
  var parts = String(ip).split(".");
  if (parts.length !== 4) return -1;
  var n = 0;
  for (var i = 0; i < 4; i++) {
    var octet = Number(parts[i]);
    if (!(octet >= 0 && octet <= 255) || parts[i] === "") return -1;
    n = n * 256 + octet;
  }
  return n;
}
function allowedViewer(ip) {
  var n = ipv4(ip);
  if (n < 0) return false;
  for (var i = 0; i < allowed.length; i++) {
    var size = Math.pow(2, 32 - allowed[i][1]);
    if (Math.floor(n / size) === Math.floor(allowed[i][0] / size)) return true;
  }
  return false;
}
function under(uri, path) {
  return uri === path || uri.indexOf(path + "/") === 0;
}
function refuse(statusCode, statusDescription) {
  return { statusCode: statusCode, statusDescription: statusDescription, headers: { "cache-control": { value: "no-store" } } };
}
function handler(event) {
  var uri = event.request.uri;
  if (under(uri, "/metrics")) return refuse(404, "Not Found");
  if (under(uri, "/dashboard") && !allowedViewer(event.viewer.ip)) return refuse(403, "Forbidden");
  return event.request;
}
`;
}
