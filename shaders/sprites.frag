// Round sprite, its edge anti-aliased over about one pixel: a shaded ball with a dark rim
// (the 3D view), or with u_flat = 1 a flat disc with an outline of u_outline_px pixels in
// u_outline (the 2D views' GL particle layer, drawn as their raster path draws them).
in vec4 v_color;

uniform float u_size;
uniform float u_flat;        // 0 (the default): shaded ball; 1: flat disc
uniform vec4 u_outline;      // the flat disc's outline colour, RGBA
uniform float u_outline_px;  // ... and width, pixels

out vec4 frag_color;

void main() {
    vec2 p = gl_PointCoord * 2.0 - 1.0;
    float r = length(p);
    float coverage = 1.0 - smoothstep(1.0 - 2.0 / u_size, 1.0, r);
    if (coverage <= 0.01) discard;
    vec3 color;
    if (u_flat > 0.5) {
        float ring = smoothstep(1.0 - 2.0 * (u_outline_px + 1.0) / u_size, 1.0 - 2.0 * u_outline_px / u_size, r);
        color = mix(v_color.rgb, u_outline.rgb, u_outline.a * ring);
    } else {
        vec3 normal = vec3(p.x, -p.y, sqrt(max(1.0 - r * r, 0.0)));
        float shade = 0.55 + 0.45 * max(dot(normal, normalize(vec3(-0.4, 0.5, 0.77))), 0.0);
        float rim = smoothstep(0.62, 0.8, r);
        color = mix(v_color.rgb * shade, vec3(0.04), 0.85 * rim);
    }
    frag_color = vec4(color, v_color.a * coverage);
}
