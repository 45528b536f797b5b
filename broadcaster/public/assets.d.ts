// Stylesheets imported by the browser bundles arrive as text (esbuild's text loader, see routes/pages-bundle.ts).
declare module "*.css" {
  const text: string;
  export default text;
}
