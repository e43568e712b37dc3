// Round sprite: a shaded ball with a dark rim, its edge anti-aliased over about one pixel.
in vec4 v_color;

uniform float u_size;

out vec4 frag_color;

void main() {
    vec2 p = gl_PointCoord * 2.0 - 1.0;
    float r = length(p);
    float coverage = 1.0 - smoothstep(1.0 - 2.0 / u_size, 1.0, r);
    if (coverage <= 0.01) discard;
    vec3 normal = vec3(p.x, -p.y, sqrt(max(1.0 - r * r, 0.0)));
    float shade = 0.55 + 0.45 * max(dot(normal, normalize(vec3(-0.4, 0.5, 0.77))), 0.0);
    float rim = smoothstep(0.62, 0.8, r);
    vec3 color = mix(v_color.rgb * shade, vec3(0.04), 0.85 * rim);
    frag_color = vec4(color, v_color.a * coverage);
}
