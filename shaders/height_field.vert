// Height field: one vertex per grid node; the normal comes from the neighbours' heights,
// read from the same buffer as a_z (bound as a buffer texture), by central differences:
// n = normalize(-dz/dx, -dz/dy, 1).
in vec2 a_uv;    // grid position in [0, 1]^2
in float a_z;    // height, world units

uniform mat4 u_modelview;
uniform mat4 u_projection;
uniform vec2 u_origin;         // world (x, y) of uv = (0, 0)
uniform vec2 u_extent;         // world size of the grid
uniform vec2 u_size;           // (W, H) nodes
uniform samplerBuffer u_heights;

out vec3 v_position;  // world
out vec2 v_uv;        // grid position in [0, 1]^2, for the density texture
out vec3 v_normal;    // world, not normalised

float height_at(int col, int row, ivec2 size) {
    col = clamp(col, 0, size.x - 1);
    row = clamp(row, 0, size.y - 1);
    return texelFetch(u_heights, row * size.x + col).r;
}

void main() {
    ivec2 size = ivec2(u_size + 0.5);
    int col = gl_VertexID % size.x;
    int row = gl_VertexID / size.x;
    vec2 spacing = u_extent / vec2(size - 1);
    int c0 = max(col - 1, 0), c1 = min(col + 1, size.x - 1);
    int r0 = max(row - 1, 0), r1 = min(row + 1, size.y - 1);
    float dzdx = (height_at(c1, row, size) - height_at(c0, row, size)) / (float(c1 - c0) * spacing.x);
    float dzdy = (height_at(col, r1, size) - height_at(col, r0, size)) / (float(r1 - r0) * spacing.y);
    v_normal = vec3(-dzdx, -dzdy, 1.0);
    v_uv = a_uv;
    v_position = vec3(u_origin + a_uv * u_extent, a_z);
    gl_Position = u_projection * u_modelview * vec4(v_position, 1.0);
}
