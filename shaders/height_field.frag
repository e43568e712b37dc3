// Height field colour: viridis of the height, Lambert + Blinn-Phong lighting, and contour
// lines at `u_levels` equal steps of height, anti-aliased with fwidth (about 1.3 px wide).
// Where `u_density_on`, the particles' density (RGBA bins over the grid) is mixed over the
// colour by its alpha before lighting, so it lies on the lit surface.
in vec3 v_position;
in vec3 v_normal;
in vec2 v_uv;

uniform vec2 u_z_range;     // heights mapped to colour 0..1
uniform float u_levels;     // contour lines over the range
uniform vec3 u_eye;         // camera, world
uniform vec3 u_light;       // unit vector towards the light
uniform float u_colormap;   // 1: viridis, 0: grey
uniform float u_contours;   // 1: draw contour lines
uniform float u_pixel_scale;
uniform sampler2D u_density;  // (u, v) -> RGBA, clear where a bin is empty
uniform float u_density_on;   // 1: mix the density in

out vec4 frag_color;

// Polynomial fit of matplotlib's viridis (max error about 0.014 per channel).
vec3 viridis(float t) {
    const vec3 c0 = vec3(0.2777273272234177, 0.005407344544966578, 0.3340998053353061);
    const vec3 c1 = vec3(0.1050930431085774, 1.404613529898575, 1.384590162594685);
    const vec3 c2 = vec3(-0.3308618287255563, 0.214847559468213, 0.09509516302823659);
    const vec3 c3 = vec3(-4.634230498983486, -5.799100973351585, -19.33244095627987);
    const vec3 c4 = vec3(6.228269936347081, 14.17993336680509, 56.69055260068105);
    const vec3 c5 = vec3(4.776384997670288, -13.74514537774601, -65.35303263337234);
    const vec3 c6 = vec3(-5.435455855934631, 4.645852612178535, 26.3124352495832);
    return c0 + t * (c1 + t * (c2 + t * (c3 + t * (c4 + t * (c5 + t * c6)))));
}

void main() {
    float t = clamp((v_position.z - u_z_range.x) / max(u_z_range.y - u_z_range.x, 1e-6), 0.0, 1.0);
    vec3 base = mix(vec3(0.62), viridis(t), u_colormap);
    vec4 density = texture(u_density, v_uv);
    base = mix(base, density.rgb, density.a * u_density_on);

    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;  // seen from below
    vec3 to_eye = normalize(u_eye - v_position);
    vec3 half_vector = normalize(u_light + to_eye);
    float diffuse = max(dot(n, u_light), 0.0);
    float specular = pow(max(dot(n, half_vector), 0.0), 48.0);
    vec3 color = base * (0.38 + 0.72 * diffuse) + 0.22 * specular;

    // contour lines: distance to the nearest level in units of levels, over its screen derivative
    float f = t * u_levels;
    float width = fwidth(f);
    float distance_px = abs(fract(f + 0.5) - 0.5) / max(width, 1e-6);
    float line = 1.0 - smoothstep(0.65 * u_pixel_scale, 0.65 * u_pixel_scale + 1.0, distance_px);
    line *= u_contours * step(t, 1.0 - 0.5 / u_levels) * step(0.5 / u_levels, t);
    vec3 ink = t < 0.35 ? vec3(0.92) : vec3(0.05);
    color = mix(color, ink, 0.55 * line);

    frag_color = vec4(color, 1.0);
}
