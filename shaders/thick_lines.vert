// Thick line segments for the core profile (no wide lines there): one instance per segment,
// four vertices (a triangle strip) per instance. The ends are projected, and the quad is
// widened by u_width pixels across the segment's screen direction (and by half that along it,
// so consecutive segments join without gaps).
in vec3 a_p0;
in vec3 a_p1;
in vec4 a_c0;
in vec4 a_c1;

uniform mat4 u_modelview;
uniform mat4 u_projection;
uniform vec2 u_viewport;  // pixels
uniform float u_width;    // pixels
uniform float u_lift;     // world units towards the camera (lines lying on the surface)

out vec4 v_color;
out float v_across;       // -1 .. 1 across the line

vec4 project(vec3 p) {
    vec4 eye = u_modelview * vec4(p, 1.0);
    eye.xyz += normalize(-eye.xyz) * u_lift;
    return u_projection * eye;
}

void main() {
    int corner = gl_VertexID % 4;
    float end = float(corner / 2);
    float side = (corner % 2 == 0) ? -1.0 : 1.0;
    vec4 c0 = project(a_p0);
    vec4 c1 = project(a_p1);
    vec2 s0 = c0.xy / c0.w * u_viewport * 0.5;
    vec2 s1 = c1.xy / c1.w * u_viewport * 0.5;
    vec2 d = s1 - s0;
    vec2 along = length(d) > 1e-4 ? normalize(d) : vec2(1.0, 0.0);
    vec2 across = vec2(-along.y, along.x);
    vec4 c = mix(c0, c1, end);
    vec2 offset_px = 0.5 * u_width * (side * across + (2.0 * end - 1.0) * 0.5 * along);
    c.xy += offset_px / (0.5 * u_viewport) * c.w;
    gl_Position = c;
    v_color = mix(a_c0, a_c1, end);
    v_across = side;
}
