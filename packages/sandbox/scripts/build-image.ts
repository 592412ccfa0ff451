/**
 * npm run image -w @metisai/sandbox [-- [TAG] [--base-image IMAGE]]
 * Builds the default sandbox image (TAG, default metisai/sandbox:latest) from ../Dockerfile through the Docker
 * engine API (no docker CLI needed), FROM the base image (default debian:bookworm-slim). The engine is the one
 * DOCKER_HOST names, else the local socket.
 */
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { buildSandboxImage, DEFAULT_BASE_IMAGE, DEFAULT_SANDBOX_IMAGE } from '../src/docker/sandbox-image.ts';

const { values, positionals } = parseArgs({ options: { 'base-image': { type: 'string' } }, allowPositionals: true });
await buildSandboxImage(new Docker(), {
  tag: positionals[0] ?? DEFAULT_SANDBOX_IMAGE,
  baseImage: values['base-image'] ?? DEFAULT_BASE_IMAGE,
  onLog: (line) => console.log(line),
});
