/**
 * npm run image -w @metisai/sandbox [-- TAG]
 * Builds the default sandbox image from ../Dockerfile through the Docker engine API (no docker
 * CLI needed). BASE_IMAGE comes from METISAI_BASE_IMAGE (default debian:bookworm-slim).
 */
import { buildSandboxImage, createDockerClient, defaultSandboxImage } from '../src/index.ts';

const tag = process.argv[2] ?? defaultSandboxImage();
await buildSandboxImage(createDockerClient(), { tag, onLog: (line) => console.log(line) });
