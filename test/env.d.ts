declare module "*.sql?raw" {
  const text: string;
  export default text;
}

type KeywardBindings = import("../src/env").Bindings;

declare namespace Cloudflare {
  interface Env extends KeywardBindings {}
  interface GlobalProps {
    mainModule: typeof import("../src/index");
  }
}

declare module "*.md?raw" {
  const text: string;
  export default text;
}
