// The app's server modules start with `import "server-only"`, which Next.js resolves to an empty
// module in its server build; scripts/build-server.mjs resolves it to this one for dist/app.
